"""Validators against published identifiers and every one-character corruption of them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from stdnum.cn import uscc

from handlers import validators as v
from handlers.validators import Invalid
from tests.conftest import run_console

# Published unified social credit codes (national enterprise credit publicity system):
# Tencent Technology (Shenzhen), Beijing Baidu Netcom, Huawei Technologies, Alibaba (China).
USCCS = ["9144030071526726XG", "91110000802100433B", "914403001922038216", "91330100799655058B"]
# The worked example of GB 11643-1999, and one built with its MOD 11-2 check (Shenzhen, 1985).
RICS = ["11010519491231002X", "440305198512310018"]
# 组织机构代码 are characters 9-17 of a USCC (GB 32100-2015), so the codes above carry four.
ORG_CODES = [u[8:17] for u in USCCS]
# 15-digit registration numbers built with the GB/T 17710 check digit (python-stdnum computes it).
REG_NOS = ["110108000000016", "440301103097147"]


def corruptions(value: str, alphabet: str = "0123456789") -> list[str]:
    """Every single-character substitution with a digit (a typo, or a misread character)."""
    return [value[:i] + c + value[i + 1:] for i in range(len(value)) for c in alphabet if c != value[i]]


@pytest.mark.parametrize("code", USCCS)
def test_published_uscc_accepted_and_every_corruption_rejected(code: str) -> None:
    assert v.uscc_number(code.lower(), {}) == code
    assert v.uscc_number(" ".join(code), {}) == code  # spaces people add for readability
    for bad in corruptions(code):
        with pytest.raises(Invalid):
            v.uscc_number(bad, {})


def test_uscc_full_width_digits_from_an_ime_are_accepted() -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in USCCS[2])
    assert v.uscc_number(full_width, {}) == USCCS[2]


@pytest.mark.parametrize(("text", "reason"), [
    ("9144030071526726X", "err.uscc_length"),
    ("9144030071526726XI", "err.uscc_chars"),
    ("9144030071526726XA", "err.uscc_check"),
    ("9144030071526726ХG", "err.uscc_chars"),  # a Cyrillic Х looks like X: mixed scripts
])
def test_uscc_reasons(text: str, reason: str) -> None:
    with pytest.raises(Invalid) as caught:
        v.uscc_number(text, {})
    assert caught.value.key == reason


@pytest.mark.parametrize("code", RICS)
def test_published_resident_ids_accepted_and_corruptions_rejected(code: str) -> None:
    assert v.resident_id(code.lower(), {}) == code
    for bad in corruptions(code):
        with pytest.raises(Invalid):
            v.resident_id(bad, {})


def test_resident_id_needs_a_real_birth_date() -> None:
    with pytest.raises(Invalid) as caught:
        v.resident_id("110105194902300024", {})  # 30 February
    assert caught.value.key == "err.ric_birth"


@pytest.mark.parametrize("code", ORG_CODES)
def test_org_codes_accepted_with_or_without_dash_and_corruptions_rejected(code: str) -> None:
    dashed = f"{code[:8]}-{code[8]}"
    assert v.org_code(code, {}) == dashed
    assert v.org_code(dashed, {}) == dashed
    for bad in corruptions(code):
        with pytest.raises(Invalid):
            v.org_code(bad, {})


def test_org_code_check_char_matches_the_standard_example() -> None:
    assert v.org_code_check_char("12345678") == "8"
    assert v.org_code_check_char("71526726") == "X"


@pytest.mark.parametrize("number", REG_NOS)
def test_registration_numbers_and_corruptions(number: str) -> None:
    assert v.business_reg_no(number, {}) == number
    for bad in corruptions(number):
        with pytest.raises(Invalid):
            v.business_reg_no(bad, {})


@pytest.mark.parametrize(("typed", "stored"), [
    ("13812345678", "13812345678"),
    ("+86 138-1234-5678", "13812345678"),
    ("010-12345678", "010-12345678"),
    ("02112345678", "021-12345678"),
    ("010-12345678-123", "010-12345678-123"),
    ("0755 8601 3388 转 8888", "0755-86013388-8888"),
    ("１３８１２３４５６７８", "13812345678"),
])
def test_phone_numbers_accepted_and_normalised(typed: str, stored: str) -> None:
    assert v.phone(typed, {}) == stored
    assert v.phone(stored, {}) == stored  # a stored value passes its own validator again


@pytest.mark.parametrize("typed", ["12345678901", "1234", "+1 415 555 0100", "138123456789", "abc"])
def test_bad_phone_numbers(typed: str) -> None:
    with pytest.raises(Invalid):
        v.phone(typed, {})


def test_email() -> None:
    assert v.email(" ops@example.com ", {}) == "ops@example.com"
    for bad in ["ops@", "ops example.com", "@example.com", "a" * 300 + "@example.com"]:
        with pytest.raises(Invalid):
            v.email(bad, {})


def test_uin_digits_only() -> None:
    assert v.uin("100016315204", {}) == "100016315204"
    assert v.uin("１０００１６３１５２０４", {}) == "100016315204"
    for bad in ["10001631520a", "0123456", "1234", "1" * 16, "１００ＯＯ"]:
        with pytest.raises(Invalid):
            v.uin(bad, {})


def test_app_description_counts_characters_not_bytes() -> None:
    assert v.app_description("签" * 100, {}) == "签" * 100  # 300 bytes in UTF-8, 100 characters
    with pytest.raises(Invalid) as caught:
        v.app_description("签" * 101, {})
    assert caught.value.params == {"max": 100, "length": 101}


def test_app_id() -> None:
    assert v.app_id("yDCWpUUckpvv76rqUxjIE8qvXHjCqG4t", {}) == "yDCWpUUckpvv76rqUxjIE8qvXHjCqG4t"
    for bad in ["yDCWpUUckpvv76rqUxjIE8qvXHjCqG4", "yDCWpUUckpvv76rqUxjIE8qvXHjCqG4t!", ""]:
        with pytest.raises(Invalid):
            v.app_id(bad, {})


@pytest.mark.parametrize(("name", "reason"), [
    ("张San", "err.mixed_scripts"),
    ("张三😀", "err.name_chars"),
    ("张\x07三", "err.invisible_chars"),
    ("   ", "err.empty"),
    ("张" * 51, "err.too_long"),
])
def test_person_name_reasons(name: str, reason: str) -> None:
    with pytest.raises(Invalid) as caught:
        v.person_name(name, {})
    assert caught.value.key == reason


def test_person_names_in_one_script() -> None:
    for name in ["张三", "买买提·艾力", "John Smith", "O'Neil"]:
        assert v.person_name(name, {}) == name


def test_organisation_names_may_mix_scripts_but_not_emoji() -> None:
    assert v.organisation_name("TCL科技集团股份有限公司", {}) == "TCL科技集团股份有限公司"
    with pytest.raises(Invalid):
        v.organisation_name("快乐公司🎉", {})


INVISIBLE = {
    "\u2028": "LINE SEPARATOR (Zl)", "\u2029": "PARAGRAPH SEPARATOR (Zp)",
    "\u3164": "HANGUL FILLER", "\u115f": "HANGUL CHOSEONG FILLER", "\u1160": "HANGUL JUNGSEONG FILLER",
    "\uffa0": "HALFWIDTH HANGUL FILLER", "\u2800": "BRAILLE PATTERN BLANK",
    "\u200b": "ZERO WIDTH SPACE", "\u200c": "ZWNJ", "\u200d": "ZWJ", "\u200e": "LRM", "\u200f": "RLM",
    "\u2060": "WORD JOINER", "\u2061": "FUNCTION APPLICATION", "\u2064": "INVISIBLE PLUS",
    "\ufeff": "BYTE ORDER MARK", "\u034f": "COMBINING GRAPHEME JOINER", "\u00ad": "SOFT HYPHEN (Cf)",
    "\u202e": "RIGHT-TO-LEFT OVERRIDE", "\ufe0f": "VARIATION SELECTOR-16", "\U000e0041": "TAG LATIN A",
    "\ue000": "private use (Co)", "\x1b": "ESCAPE (Cc)", "\x85": "NEXT LINE (Cc)",
}


@pytest.mark.parametrize(("char", "where"), [
    pytest.param(char, where, id=f"{where}-{label}") for char, label in INVISIBLE.items()
    for where in ("inside", "start", "end")
    if not (where == "start" and char.isspace())  # trimmed from every name: nothing to refuse
])
def test_names_refuse_invisible_and_layout_characters_naming_them(char: str, where: str) -> None:
    person = {"inside": f"张{char}三", "start": f"{char}张三", "end": f"张三{char}"}[where]
    checks = [(v.person_name, person), (v.organisation_name, person + "有限公司"),
              (v.app_name, person + "助手")]
    for check, text in checks:
        if char.isspace() and text.strip() != text:
            continue  # white space (U+2028 is) at either end is trimmed, never stored
        with pytest.raises(Invalid) as caught:
            check(text, {})
        assert caught.value.key == "err.invisible_chars", (check.__name__, text)
        assert caught.value.params == {"code": f"U+{ord(char):04X}"}


@pytest.mark.parametrize("text", ["\u0308Zoe", "Zoe \u0308", "买买提·\u0301艾力", "\u20ddAcme"])
def test_a_combining_mark_without_a_letter_to_sit_on_is_refused(text: str) -> None:
    for check in (v.person_name, v.app_name):
        with pytest.raises(Invalid) as caught:
            check(text, {})
        assert caught.value.key == "err.invisible_chars"


@pytest.mark.parametrize(("typed", "stored"), [
    ("买买提·艾力", "买买提·艾力"),  # U+00B7 middle dot
    ("阿卜杜拉·买买提", "阿卜杜拉·买买提"),
    ("O'Brien", "O'Brien"),
    ("Zoe\u0308", "Zoë"),  # decomposed: e + combining diaeresis, composed by NFC
    ("Zoë", "Zoë"),
    ("María José", "María José"),
    ("Nguyê\u0303n", "Nguyễn"),  # two marks on one letter, composed
    ("李 四", "李 四"),
    ("李\u3000四", "李 四"),  # an IME's full-width space, as before
    ("张三\u2028", "张三"),  # trimmed at the end like any white space: nothing hidden is kept
])
def test_real_names_keep_working(typed: str, stored: str) -> None:
    assert v.person_name(typed, {}) == stored


def test_a_combining_mark_on_its_letter_is_part_of_the_name() -> None:
    # Devanagari vowel signs and virama are combining marks (Mn/Mc) on their consonant.
    assert v.person_name("अनिल कुमार", {}) == "अनिल कुमार"
    assert v.organisation_name("Café Zoë 有限公司", {}) == "Café Zoë 有限公司"


def test_free_text_refuses_line_and_paragraph_separators() -> None:
    for char in "\u2028\u2029":
        with pytest.raises(Invalid) as caught:
            v.app_description(f"在线{char}签署", {})
        assert caught.value.key == "err.control_chars"


def test_cert_number_follows_the_cert_type() -> None:
    assert v.cert_number(USCCS[0], {"cert_type": "uscc"}) == USCCS[0]
    with pytest.raises(Invalid):
        v.cert_number("123456789012", {"cert_type": "uscc"})
    assert v.cert_number("事证第110000001234号", {"cert_type": "institution_cert"}) == "110000001234"


# -- deeper rules (issue 16) ----------------------------------------------------------------
# Published 个体工商户 codes (registration authority 9, type 2), from eight provinces: their
# bodies are GB 11714 organisation codes like any company's, so none is exempt from that check.
INDIVIDUAL_USCCS = ["92230109MAKCUYD46K", "92340111MAD2LARQ9N", "92361130MA386N427K",
                    "92420102MAKJME5F3R", "92511126MACBT2C33F", "92310109MA1KMFLM1K",
                    "92211282MA0XME1F4Q", "92140727MAE8C7WN66", "92320505MA1W70U07M",
                    "92330106MA2GKHP698"]


def _with_uscc_check(first17: str) -> str:
    return first17 + uscc.calc_check_digit(first17)


@pytest.mark.parametrize("code", USCCS + INDIVIDUAL_USCCS)
def test_a_wrong_organisation_code_inside_is_refused_though_the_last_character_fits(
        code: str) -> None:
    assert v.uscc_number(code, {}) == code  # every published code, 个体工商户 too, still passes
    # Every change of the embedded check character, with the 18th character recomputed so that
    # python-stdnum alone would accept the code: only the GB 11714 check can catch these.
    for char in "0123456789X":
        if char == code[16]:
            continue
        forged = _with_uscc_check(code[:16] + char)
        assert uscc.is_valid(forged)
        with pytest.raises(Invalid) as caught:
            v.uscc_number(forged, {})
        assert caught.value.key == "err.uscc_org_code"
        assert caught.value.params == {"org_code": f"{code[8:16]}-{char}"}


def test_a_resident_id_born_after_today_is_refused() -> None:
    today = {v.TODAY: date(2026, 12, 1)}
    assert v.resident_id("110105202612010014", today) == "110105202612010014"  # born today
    with pytest.raises(Invalid) as caught:
        v.resident_id("11010520261202001X", today)  # tomorrow, a valid check character
    assert caught.value.key == "err.ric_birth_future"
    assert caught.value.params == {"birth": "2026-12-02", "today": "2026-12-01"}
    # the engine's clock may be handed over as a moment; Beijing's date counts
    late_evening_utc = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)  # already 2 December in Beijing
    assert v.resident_id("11010520261202001X", {v.TODAY: late_evening_utc})
    # without a clock in the context: the day it is checked, by the wall clock
    with pytest.raises(Invalid) as caught:
        v.resident_id("11010520300101001X", {})
    assert caught.value.key == "err.ric_birth_future"


def test_an_institution_certificate_number_shaped_like_a_credit_code_gets_its_full_check() -> None:
    answers = {"cert_type": "institution_cert"}
    # 1 (机构编制) 2 (事业单位), built with both check characters
    assert v.cert_number("12100000400000624D", answers) == "12100000400000624D"
    assert v.cert_number("事证第110000001234号", answers) == "110000001234"  # the old shape
    for bad, reason in [("12100000400000624A", "err.uscc_check"),
                        (_with_uscc_check("1210000040000062X"), "err.uscc_org_code")]:
        with pytest.raises(Invalid) as caught:
            v.cert_number(bad, answers)
        assert caught.value.key == reason


def test_a_credit_code_typed_for_the_organisation_code_is_answered_with_the_code_inside() -> None:
    with pytest.raises(Invalid) as caught:
        v.org_code("9144030071526726XG", {})
    assert caught.value.key == "err.org_code_is_uscc"
    assert caught.value.params == {"dashed": "71526726-X", "plain": "71526726X"}
    # a mistyped 18-character code is not taken apart: it is only too long
    with pytest.raises(Invalid) as caught:
        v.org_code("9144030071526726XA", {})
    assert caught.value.key == "err.org_code_length"


def test_through_the_console_each_refusal_is_one_sentence_and_nothing_is_kept(
        tmp_path: Path) -> None:
    verified = ["2", "1", "100016315204", "腾讯科技（深圳）有限公司"]
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
    # other organisation: the whole credit code where the organisation code is asked
    out = run_console(tmp_path / "a", [*verified, "2", "4", "9144030071526726XG", "71526726X"])
    assert ("这是 18 位的统一社会信用代码；这里要的是其中的组织机构代码 71526726-X（也可以输入 "
            "71526726X），请输入它。") in out
    assert "✔ 已保存「组织机构代码」：71526726-X" in out  # then the code it pointed to is taken
    # individual business: an operator born in 2030
    out = run_console(tmp_path / "b", [*verified, "offline", "个体工商户", "110108000000016", "王五",
                                       "11010520300101001X"])
    assert "身份证号里的出生日期 2030-01-01 晚于今天（" in out
    # enterprise: a credit code whose last character fits but whose organisation code does not
    forged = _with_uscc_check("9144030071526726" + "1")
    out = run_console(tmp_path / "c", [*verified, "2", "1", forged, "status"])
    assert "统一社会信用代码第 9–17 位是组织机构代码，71526726-1 的校验码不对" in out
    for folder in ("a", "b", "c"):
        with sqlite3.connect(tmp_path / folder / "esignbot.db") as conn:
            fields = {f for (f,) in conn.execute("SELECT field FROM answers")}
        assert not fields & {"operator_id_number", "uscc"}


# -- issue 26: exactly as strict as the standards -----------------------------------------
def _ric(region: str, born: str, sequence: str = "001") -> str:
    from tests.handlers.test_identifier_properties import mod_11_2
    return f"{region}{born}{sequence}" + mod_11_2(f"{region}{born}{sequence}")


def _uscc(first8: str, organisation: str) -> str:
    from tests.handlers.test_identifier_properties import gb_11714_check, uscc_check
    body = first8 + organisation + gb_11714_check(organisation)
    return body + uscc_check(body)


@pytest.mark.parametrize(("region", "born"), [
    ("310115", "19800101"),  # 浦东新区 since 1993: everyone born there before it holds the code
    ("110114", "19650630"),  # 昌平区 since 1999
    ("412723", "19700101"),  # a code no longer in use (python-stdnum issue #442)
    ("110103", "20150101"),  # 崇文区, abolished in 2010: a number assigned before keeps it
    ("830000", "19900101"),  # a Taiwan resident's residence permit
])
def test_a_region_code_that_existed_at_any_time_is_kept_whatever_the_birth_year(
        region: str, born: str) -> None:
    number = _ric(region, born)
    assert v.resident_id(number, {}) == number
    assert v.resident_id_advice(number) == ()


def test_an_unlisted_region_under_a_real_province_is_kept_with_a_line_not_an_error() -> None:
    number = _ric("119999", "19900101")  # python-stdnum's get_birth_place raised KeyError here
    assert v.resident_id(number, {}) == number
    assert v.resident_id_advice(number) == (v.Advice("warn.ric_region"),)
    with pytest.raises(Invalid) as caught:
        v.resident_id(_ric("990101", "19900101"), {})  # no province 99
    assert (caught.value.key, caught.value.params) == ("err.ric_region", {"province": "99"})


@pytest.mark.parametrize("first8", ["A1110000", "N2310115", "Y1440300", "31110105", "81100000"])
def test_credit_codes_of_every_registration_authority_are_kept(first8: str) -> None:
    code = _uscc(first8, "MA01B2C3")
    assert v.uscc_number(code, {}) == code
    assert v.uscc_advice(code) == ()


def test_a_credit_code_of_an_authority_not_in_the_table_is_kept_with_a_line() -> None:
    code = _uscc("B1110000", "MA01B2C3")
    assert v.uscc_number(code, {}) == code
    assert v.uscc_advice(code) == (v.Advice("warn.uscc_authority", {"authority": "B", "category": "1"}),)
    with pytest.raises(Invalid) as caught:
        v.uscc_number(_uscc("91A10000", "MA01B2C3"), {})  # the region is digits
    assert caught.value.key == "err.uscc_region"


@pytest.mark.parametrize("typed", ["ops😀@example.com", "运维@example.com", "ops@例子.公司"])
def test_an_email_address_outside_ascii_is_refused_naming_the_character(typed: str) -> None:
    with pytest.raises(Invalid) as caught:
        v.email(typed, {})
    assert caught.value.key == "err.email_ascii"
    assert caught.value.params["char"] in typed


def test_full_width_email_from_an_ime_is_folded_to_ascii_and_kept() -> None:
    assert v.email("ｏｐｓ＠ｅｘａｍｐｌｅ．ｃｏｍ", {}) == "ops@example.com"
    assert v.email("ops@xn--fsqu00a.xn--55qx5d", {}) == "ops@xn--fsqu00a.xn--55qx5d"


def test_the_app_name_has_no_unsourced_cap_at_50_but_a_guard_on_pasted_paragraphs() -> None:
    assert v.app_name("合同" * 30, {}) == "合同" * 30
    with pytest.raises(Invalid) as caught:
        v.app_name("合" * (v.APP_NAME_MAX_CHARS + 1), {})
    assert caught.value.key == "err.too_long"


def test_whole_images_are_kept_and_cut_or_corrupt_ones_refused() -> None:
    from tests.conftest import noisy_jpeg, noisy_png

    jpeg, png = noisy_jpeg(), noisy_png()
    assert (v.image_mime(jpeg), v.image_mime(png)) == ("image/jpeg", "image/png")
    for broken in (jpeg[: len(jpeg) // 2], png[: len(png) // 2], jpeg[:-20], png[:-20]):
        with pytest.raises(Invalid) as caught:
            v.image_mime(broken)
        assert caught.value.key == "err.image_corrupt"
    flipped = bytearray(png)
    flipped[len(png) // 2] ^= 0xFF  # one byte of the pixel data: the chunk's CRC no longer fits
    with pytest.raises(Invalid) as caught:
        v.image_mime(bytes(flipped))
    assert caught.value.key == "err.image_corrupt"
    with pytest.raises(Invalid) as caught:
        v.image_mime(b"GIF89a" + bytes(100))
    assert caught.value.key == "err.image_type"


def test_an_image_claiming_more_pixels_than_pillows_bomb_limit_is_refused_before_decoding() -> None:
    from PIL import Image

    from tests.conftest import png_bytes

    # 20000 × 20000 = 400 million pixels in a header, a few bytes of data.
    bomb = png_bytes(20000, 20000, raw=b"")
    with pytest.raises(Invalid) as caught:
        v.image_mime(bomb)
    assert caught.value.key == "err.image_pixels"
    wide = png_bytes(10000, 9000, raw=b"")  # 90 million: over the limit, under twice it
    with pytest.raises(Invalid) as caught, pytest.warns(Image.DecompressionBombWarning):
        v.image_mime(wide)
    assert caught.value.key == "err.image_pixels"
