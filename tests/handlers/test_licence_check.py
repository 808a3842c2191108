"""What the lines read off a licence photo are taken to say (handlers/files/licence_check.py),
without any OCR: a code is trusted only past its check digit, look-alike letters are corrected
only when exactly one correction passes, numbers that merely look like codes (a phone number)
are not taken, labels split from their values are followed, and each value is compared with
the right answer for the organisation type."""

from __future__ import annotations

from handlers.files.licence_check import compare, find, read_values, result_replies

USCC = "91350100M000100Y43"
ENTERPRISE = {"environment": "prod", "realname_route": "offline", "org_type": "enterprise"}


def test_the_code_name_and_representative_are_found_on_a_clean_read() -> None:
    found = find(["营业执照", f"统一社会信用代码{USCC}", "名称福州云签数据科技有限公司",
                  "法定代表人张三丰", "电话13812345678", "成立日期2019年03月12日"])
    assert (found.code_kind, found.code, found.name, found.person) == (
        "uscc", USCC, "福州云签数据科技有限公司", "张三丰")


def test_a_look_alike_letter_is_corrected_only_when_the_correction_passes() -> None:
    # OCR read the zeros as the letter O: the one correction that passes the check is taken.
    assert find([f"统一社会信用代码{USCC.replace('0', 'O')}"]).code == USCC
    # One character wrong (not a look-alike): no correction passes, nothing is trusted.
    assert find(["统一社会信用代码91350100M000100Y44"]).code is None


def test_numbers_that_only_look_like_codes_are_not_taken() -> None:
    found = find(["住所福州市鼓楼区软件大道89号", "电话 138 1234 5678 000", "注册资本壹佰万元"])
    assert found.code is None and found.person is None
    # A 15-digit run counts as the old registration number only beside its label.
    assert find(["110108000000016"]).code is None
    assert find(["注册号", "110108000000016"]).code == "110108000000016"


def test_labels_split_from_their_values_by_the_reader_are_followed() -> None:
    found = find(["名", "称深圳市腾云数据科技有限公司", "法定代表人", "李四", USCC])
    assert (found.name, found.person, found.code) == ("深圳市腾云数据科技有限公司", "李四", USCC)


def test_each_value_is_compared_with_its_answer_and_offered_when_unanswered() -> None:
    found = find([USCC, "名称福州云签数据科技有限公司", "法定代表人张三丰"])
    values = {**ENTERPRISE, "uscc": USCC, "enterprise_name": "福州云签数据科技有限公司（福建）"}
    read = read_values(found, values)
    verdicts = {c.field: c.verdict for c in compare(read, values)}
    assert verdicts == {"uscc": "match", "enterprise_name": "mismatch", "legal_rep": "unanswered"}
    replies = result_replies(7, found, compare(read, values), "en", private=False)
    assert replies[-1].step == "ocr:7"
    assert [c.value for c in replies[-1].choices] == ["enterprise_name", "legal_rep"]
    assert "edit legal_rep 张三丰" in replies[-1].text


def test_an_individual_business_compares_the_operator_and_either_code() -> None:
    found = find([f"统一社会信用代码{USCC}", "经营者王五"])
    values = {"environment": "prod", "realname_route": "offline", "org_type": "individual",
              "business_reg_no": "110108000000016", "operator_name": "王五"}
    checks = {c.field: c for c in compare(read_values(found, values), values)}
    assert checks["operator_name"].verdict == "match"
    # The answer is the old registration number, the photo shows a credit code: a mismatch
    # naming both, and taking the photo's would replace the other field.
    assert (checks["uscc"].verdict, checks["uscc"].answered_field) == ("mismatch", "business_reg_no")


def test_other_organisations_compare_the_org_code_inside_a_credit_code() -> None:
    values = {"environment": "prod", "realname_route": "offline", "org_type": "other", "org_code": "M000100Y-4"}
    read = read_values(find([USCC]), values)
    assert read == {"org_code": "M000100Y-4"}
    assert [c.verdict for c in compare(read, values)] == ["match"]


def test_a_photo_with_no_trusted_code_gets_the_one_sentence() -> None:
    found = find(["名称福州云签数据科技有限公司", "会议纪要"])
    [reply] = result_replies(1, found, [], "en", private=False)
    assert reply.text.startswith("The photo may be blurred, cropped or not the licence")
    assert not reply.choices
