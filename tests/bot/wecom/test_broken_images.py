"""A photo that arrives whole but was cut short before it was sent (a phone's broken export):
through ``esignbot serve`` and the WeCom app, a multi-megabyte JPEG and PNG cut in half are
served complete by the fake ``media/get`` (their Content-Length is their real, halved size), so
only decoding them to the end can tell; each is refused with its sentence and nothing is stored
(issue 26)."""

from __future__ import annotations

from pathlib import Path

from tests.bot.wecom.test_callback import running
from tests.bot.wecom.test_uploads import SAVED, send, stored, to_the_licence_question, told
from tests.conftest import noisy_jpeg, noisy_png

BROKEN = "这张图片不完整或已损坏（读不到结尾），所以没有保存。"


def test_photos_cut_in_half_are_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    jpeg, png = noisy_jpeg(), noisy_png()
    with running(tmp_path) as served:
        to_the_licence_question(served)
        told(served, BROKEN, send(served, "MEDIA-HALF-JPEG", jpeg[: len(jpeg) // 2], "image/jpeg"))
        told(served, BROKEN, send(served, "MEDIA-HALF-PNG", png[: len(png) // 2], "image/png"))
        assert stored(served) == []
        assert "license_image" not in served.answers()
        assert not any(SAVED in text for text in served.api.texts_to("alice"))
