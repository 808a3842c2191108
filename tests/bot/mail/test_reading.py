"""Reading Tencent's emails: MIME in the shapes Chinese mail really arrives in, and the guess of
kind, outcome, reason and app ID — which must say "unknown" rather than guess wrong."""

from __future__ import annotations

import base64
from email.message import EmailMessage

from bot.mail.reading import guess, read_message
from bot.mail.watch import imap_utf7

APP_ID = "yDCWpUUckpvv76rqUxjIE8qvXHjCqG4t"


def test_a_subject_labelled_gb2312_that_holds_gbk_characters_is_decoded() -> None:
    # 镕 and 喆 are in GBK but not in GB2312; mail clients still label such subjects gb2312.
    subject = base64.b64encode("朱镕基与陶喆：补充实名认证审核通过".encode("gbk")).decode()
    body = base64.b64encode("审核通过。".encode("gbk")).decode()
    raw = (f"From: e-contract@tencent.com\r\nSubject: =?gb2312?B?{subject}?=\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=gb2312\r\n"
           f"Content-Transfer-Encoding: base64\r\n\r\n{body}\r\n").encode()
    reading = read_message(raw)
    assert reading.subject == "朱镕基与陶喆：补充实名认证审核通过"
    assert reading.kind == "realname" and reading.outcome == "approved"


def test_raw_8bit_utf8_and_gb18030_headers_and_bodies_are_read() -> None:
    for charset in ("utf-8", "gb18030"):
        raw = (b"From: =?utf-8?b?6IW+6K6v?= <E-Contract@Tencent.com>\r\nSubject: "
               + "应用号申请已通过".encode(charset) + b"\r\nContent-Type: text/plain; charset="
               + charset.encode() + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
               + f"应用号：{APP_ID}\r\n".encode(charset))
        reading = read_message(raw)
        assert reading.subject == "应用号申请已通过", charset
        assert reading.sender == "e-contract@tencent.com"
        assert (reading.kind, reading.outcome, reading.app_id) == ("app", "approved", APP_ID)


def test_an_html_only_message_becomes_text_without_its_styles_or_scripts() -> None:
    msg = EmailMessage()
    msg["From"] = "e-contract@tencent.com"
    msg["Subject"] = "Real-name verification result"
    msg.set_content("<html><head><style>.x{color:red}</style><script>var reason='x'</script>"
                    "</head><body><div>Your real-name verification was <b>rejected</b>.</div>"
                    "<div>Reason: the licence photo is blurred</div></body></html>",
                    subtype="html", cte="quoted-printable")
    reading = read_message(msg.as_bytes())
    assert "color:red" not in reading.text and "var reason" not in reading.text
    assert (reading.kind, reading.outcome) == ("realname", "rejected")
    assert reading.reason == "the licence photo is blurred"


def test_a_rejection_is_not_read_as_an_approval() -> None:
    for line, outcome in (("很遗憾，审核未通过。", "rejected"), ("审核不通过", "rejected"),
                          ("Your application was not approved.", "rejected"),
                          ("审核通过后即可申请应用号。", None), ("如审核未通过，我们会邮件通知。", None),
                          ("贵司补充实名认证已审核通过。", "approved")):
        assert guess("", line).outcome == outcome, line


def test_the_subject_decides_when_the_body_also_mentions_what_comes_after_approval() -> None:
    found = guess("补充实名认证审核未通过", "驳回原因：营业执照已过期\n审核通过后即可申请应用号。")
    assert (found.kind, found.outcome, found.reason) == ("realname", "rejected", "营业执照已过期")
    assert "补充实名认证审核未通过" in found.evidence


def test_words_that_disagree_leave_the_outcome_unknown() -> None:
    assert guess("结果通知", "第一项审核通过。\n第二项审核未通过。").outcome is None


def test_our_own_email_quoted_back_decides_nothing() -> None:
    body = ("您好，已收到。\n\n------------------ 原始邮件 ------------------\n"
            "发件人: ops@example.com\n主题: 申请应用号\n补充实名认证已审核通过\n")
    found = guess("Re: 申请应用号", body)
    assert found.outcome is None


def test_only_a_32_character_id_near_the_words_app_id_is_proposed() -> None:
    tracking = "0123456789abcdef0123456789abcdef"
    found = guess("应用号申请结果", f"已通过。\n应用号：{APP_ID}\n跟踪编号 {tracking}")
    assert found.app_id == APP_ID
    assert guess("应用号申请结果", f"已通过。\n编号 {tracking}").app_id is None
    two = guess("应用号申请结果", f"已通过。\n应用号：{APP_ID}\n应用号：{APP_ID[::-1]}")
    assert two.app_id is None and two.outcome == "approved"


def test_attachments_are_listed_with_their_decoded_names() -> None:
    msg = EmailMessage()
    msg["From"] = "e-contract@tencent.com"
    msg["Subject"] = "应用号"
    msg.set_content("请查收附件。")
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="接入指引.pdf")
    reading = read_message(msg.as_bytes())
    assert [(a.name, a.mime, a.size) for a in reading.attachments] == [
        ("接入指引.pdf", "application/pdf", 8)]
    assert "接入指引.pdf" in reading.text


def test_garbage_is_read_without_raising() -> None:
    for raw in (b"", b"\xff\xfe\x00garbage", b"Subject: =?gbk?B?!!!?=\r\n\r\n\xc4\xe3",
                b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nbroken"):
        reading = read_message(raw)
        assert reading.kind is None or reading.kind in {"realname", "app"}


def test_folder_names_use_imap_modified_utf7() -> None:
    assert imap_utf7("INBOX") == "INBOX"
    assert imap_utf7("台北") == "&U,BTFw-"  # RFC 3501's own example
    assert imap_utf7("R&D") == "R&-D"


def test_only_one_plain_from_address_counts_as_the_sender() -> None:
    for header, sender in (("腾讯电子签 <e-contract@tencent.com>", "e-contract@tencent.com"),
                           ("=?utf-8?b?6IW+6K6vLCDnlLXlrZDnrb4=?= <E-Contract@Tencent.com>",
                            "e-contract@tencent.com"),  # 腾讯, 电子签: a comma once decoded
                           ("e-contract@tencent.com <mallory@example.com>", ""),
                           ("mallory@example.com, e-contract@tencent.com", ""),
                           ('"e-contract@tencent.com" <mallory@example.com>', "mallory@example.com")):
        raw = f"From: {header}\r\nSubject: x\r\n\r\nbody\r\n".encode()
        assert read_message(raw).sender == sender, header
    two = b"From: e-contract@tencent.com\r\nFrom: mallory@example.com\r\n\r\nbody\r\n"
    assert read_message(two).sender == ""
