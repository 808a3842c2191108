"""A licence photo sent to the WeCom app is read in the background (issue 21): ``esignbot
serve`` as a process, the photo fetched from the fake ``media/get``, the read posted to the case
later, and a tap on the result's card takes the licence's value; nothing is taken without it."""

from __future__ import annotations

from pathlib import Path

from tests.bot.files.licence_images import Licence, render, require_ocr
from tests.bot.wecom.test_callback import running
from tests.bot.wecom.test_uploads import send, to_the_licence_question, told


def test_a_wecom_photo_is_read_after_it_is_stored_and_a_tap_takes_the_licences_value(
        tmp_path: Path) -> None:
    require_ocr()
    photo = render(Licence(code="9144030071526726XG", name="腾讯科技（深圳）有限公司",
                           representative="王小明"), fmt="JPEG")
    with running(tmp_path) as served:
        to_the_licence_question(served)
        after = send(served, "MEDIA-LICENCE", photo, "image/jpeg")
        served.api.wait_for(lambda api: any("照片上是 王小明，回答是 张三" in t
                                            for t in api.texts_to("alice")[after:]),
                            timeout=120)
        told(served, "✓ 统一社会信用代码：9144030071526726XG", after)
        assert served.answers()["legal_rep"][0] == "张三"  # nothing taken without a person
        def offer_card(api: object) -> bool:
            return any(m.get("msgtype") == "template_card" and any(
                b["key"].startswith("ocr:") for b in m["template_card"]["button_list"])
                for m in served.api.sent())

        served.api.wait_for(offer_card)  # the card follows the text that explains it
        card = next(m for m in reversed(served.api.sent()) if m.get("msgtype") == "template_card"
                    and any(b["key"].startswith("ocr:")
                            for b in m["template_card"]["button_list"]))
        button = next(b for b in card["template_card"]["button_list"]
                      if b["key"].startswith("ocr:"))
        served.wecom.post(served.wecom.card_click_xml(
            "alice", button["key"], card["template_card"]["task_id"]))
        served.api.wait_for(lambda api: any("王小明" in t and "✔" in t
                                            for t in api.texts_to("alice")[after:]))
        assert served.answers()["legal_rep"][0] == "王小明"
