"""A picture is work written down before WeCom is answered (issue 27), through ``esignbot serve``:
its callback is answered within a second although ``media/get`` is stalling, the server is
killed (SIGKILL) in the middle of that download, and the server started again on the same file
downloads the picture, stores it once and confirms it once — the job resumes, nothing is lost
and nothing is done twice. And WeCom delivering the same picture twice at once (its retry
while the first is still being answered) downloads it once: the job is written with the
message's id claimed."""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.bot.wecom.test_callback import (
    AES_KEY,
    AGENT,
    CORP,
    OFFLINE_UNTIL_IMAGE,
    SECRET,
    TOKEN,
    running,
    wecom_env,
)
from tests.conftest import png_bytes
from tests.fakes.local_server import Serve, start_serve
from tests.fakes.wecom_api import FakeWeComApi
from tests.fakes.wecom_callbacks import WeComCallbacks

SAVED = "已保存「多合一营业执照」"
MEDIA = "MEDIA-STALLED"


def callbacks_to(server: Serve) -> WeComCallbacks:
    return WeComCallbacks(server.base, token=TOKEN, aes_key=AES_KEY, corp_id=CORP, agent_id=AGENT)


def test_a_picture_whose_download_stalls_is_answered_at_once_and_survives_a_kill(
        tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    image = png_bytes(4, 3)
    with FakeWeComApi(CORP, SECRET) as api:
        env = wecom_env(api.url)
        first = start_serve(db, env, log=tmp_path / "serve.log")
        wecom = callbacks_to(first)
        try:
            for text in ("开始", *OFFLINE_UNTIL_IMAGE):
                wecom.text("alice", text)
            api.wait_for(lambda a: any("营业执照的照片" in t for t in a.texts_to("alice")))
            # media/get sends a byte every 5 s: the whole picture would take hours.
            api.add_media(MEDIA, image, "image/png", "licence.png", drip_s=5.0)
            answered = wecom.post(wecom.image_xml("alice", MEDIA))
            assert answered.elapsed.total_seconds() < 1.0
            api.wait_for(lambda a: a.gets_of(MEDIA) == 1)  # downloading now
        finally:
            wecom.close()
        first.proc.kill()  # SIGKILL: no shutdown, the download dies half way
        first.proc.wait(timeout=30)
        assert not any(SAVED in t for t in api.texts_to("alice"))
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT count(*) FROM files").fetchone() == (0,)

        del api.drip_s[MEDIA]  # the network is well again: the picture comes whole
        again = start_serve(db, env, log=tmp_path / "serve-again.log")
        wecom = callbacks_to(again)
        try:
            api.wait_for(lambda a: any(SAVED in t for t in a.texts_to("alice")), timeout=60)
            # Everything queued after the confirmation has gone out: nothing more is coming.
            before = len(api.texts_to("alice"))
            wecom.text("alice", "help")
            api.wait_for(lambda a: any("可用命令" in t for t in a.texts_to("alice")[before:]))
            time.sleep(1.0)  # a second run of the job would have been announced by now
        finally:
            wecom.close()
            output = again.stop()
        assert "Traceback" not in output, output

    assert sum(SAVED in t for t in api.texts_to("alice")) == 1
    assert api.gets_of(MEDIA) == 2  # the stalled download, and the whole one after the restart
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT data FROM files").fetchall() == [(image,)]
        assert conn.execute("SELECT count(*) FROM history WHERE field = 'license_image'"
                            ).fetchone() == (1,)
        assert conn.execute("SELECT user_id FROM answers WHERE field = 'license_image'"
                            ).fetchall() == [("alice",)]
        assert conn.execute("SELECT state FROM jobs WHERE kind = 'wecom.image'").fetchall() == [
            ("done",)]


def test_a_picture_delivered_twice_at_once_is_downloaded_once(tmp_path: Path) -> None:
    with running(tmp_path) as served:
        served.say("alice", "开始")
        served.api.wait_for(lambda api: any("第 1 步" in t for t in api.texts_to("alice")))
        served.api.add_media("MEDIA-TWICE", png_bytes(), "image/png", "twice.png")
        envelope = served.wecom.seal(served.wecom.image_xml("dave", "MEDIA-TWICE"))

        def deliver(_: int) -> int:
            return httpx.post(served.wecom.url, params=envelope.query, content=envelope.body,
                              timeout=15).status_code

        # The directory does not answer: both deliveries wait for dave's name side by side,
        # past the replay record (written only once an input is committed).
        with served.api.held(), ThreadPoolExecutor(2) as pool:
            assert list(pool.map(deliver, range(2))) == [200, 200]
        served.api.wait_for(lambda api: any("现在不需要文件" in t for t in api.texts_to("dave")))
        served.settle("dave")
        assert served.api.gets_of("MEDIA-TWICE") == 1
        assert sum("现在不需要文件" in t for t in served.api.texts_to("dave")) == 1
        assert served.rows("SELECT count(*) FROM jobs WHERE kind = 'wecom.image'") == [(1,)]
