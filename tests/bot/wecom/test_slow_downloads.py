"""Slow downloads delay nothing else (issue 30), through ``esignbot serve``: four pictures whose
``media/get`` drips a byte every 2 s are downloading while another member's picture is saved and
the materials package is built and sent; a member's third picture at once is refused with its
sentence; and a download has a whole-file deadline, not only a per-read timeout.

Bounds are generous (a loaded two-core machine): what is asserted is that the other work is
done while every drip is still running, each wait bounded in time."""

from __future__ import annotations

import time
from pathlib import Path

from bot.wecom.client import WeComApi
from tests.bot.hardening.test_who_sees_what import seed_case
from tests.bot.wecom.test_callback import CORP, SECRET, Served, running
from tests.conftest import png_bytes
from tests.fakes.wecom_api import FakeWeComApi

DRIP_S = 2.0
DRIPPING = bytes(range(256)) * 4
"""1 KB at a byte every 2 s: more than half an hour, far past any bound below."""
BOUND_S = 40.0


def drips_running(served: Served, media: list[str]) -> bool:
    """Every dripping download has begun and none has been given up on by the fake's count."""
    return all(served.api.gets_of(m) >= 1 for m in media)


def test_four_dripping_downloads_delay_no_other_members_picture_or_file(tmp_path: Path) -> None:
    seed_case(tmp_path / "esignbot.db", f"wecom:{CORP}", "alice", "Alice", members=("alice",))
    with running(tmp_path) as served:
        try:
            slow = []
            for index, member in enumerate(("mallory", "mallory", "trudy", "trudy")):
                media = f"MEDIA-DRIP-{index}"
                served.api.add_media(media, DRIPPING, "image/png", f"{media}.png", drip_s=DRIP_S)
                served.wecom.post(served.wecom.image_xml(member, media))
                slow.append(media)
            served.api.wait_for(lambda api: drips_running(served, slow), timeout=BOUND_S)
            began = time.monotonic()

            # mallory's third picture at once: refused with its sentence, not queued.
            served.api.add_media("MEDIA-THIRD", png_bytes(3, 3), "image/png", "third.png")
            served.wecom.post(served.wecom.image_xml("mallory", "MEDIA-THIRD"))
            served.api.wait_for(lambda api: any("还在接收中" in t for t in api.texts_to("mallory")),
                                timeout=BOUND_S)

            # carol replaces the licence photo; alice asks for the materials package.
            served.wecom.text("carol", "修改 license_image")
            served.api.wait_for(lambda api: any("照片" in t for t in api.texts_to("carol")),
                                timeout=BOUND_S)
            served.api.add_media("MEDIA-GOOD", png_bytes(5, 5), "image/png", "licence.png")
            served.wecom.post(served.wecom.image_xml("carol", "MEDIA-GOOD"))
            served.wecom.text("alice", "材料")
            served.api.wait_for(lambda api: any("已保存" in t for t in api.texts_to("carol")),
                                timeout=BOUND_S)
            served.api.wait_for(lambda api: any(m.get("msgtype") == "file"
                                                for m in api.sent_to("alice")), timeout=BOUND_S)
            waited = time.monotonic() - began
            # Every drip is still going: nothing above waited for one of them to end.
            assert waited < len(DRIPPING) * DRIP_S / 2
            assert not served.api.texts_to("trudy")  # no drip has ended
            assert served.api.gets_of("MEDIA-THIRD") == 0
        finally:
            served.api.stop_dripping()
        # Cut off, the dripping pictures are answered (refused) and nothing of them is stored.
        served.api.wait_for(lambda api: len(api.texts_to("trudy")) >= 2
                            and len(api.texts_to("mallory")) >= 3, timeout=BOUND_S)
        served.settle()
        assert len(served.rows("SELECT id FROM files")) == 2  # the seeded photo and carol's


def test_a_download_has_a_deadline_for_the_whole_file() -> None:
    """A byte every 0.2 s never trips a 10 s per-read timeout; the 2 s whole-file deadline
    ends it, and the file is refused as incomplete."""
    with FakeWeComApi(CORP, SECRET) as fake:
        fake.add_media("MEDIA-SLOW", DRIPPING, "image/png", "slow.png", drip_s=0.2)
        api = WeComApi(CORP, 1000002, SECRET, fake.url, timeout=10.0)
        began = time.monotonic()
        media = api.download("MEDIA-SLOW", deadline_s=2.0)
        took = time.monotonic() - began
        fake.stop_dripping()
    assert media.received.problem == "incomplete" and media.received.content == b""
    assert took < 15.0, took
