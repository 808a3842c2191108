"""A photo sent to the WeCom app arrives whole or not at all, through ``esignbot serve``: the
fake ``media/get`` serves multi-megabyte images in chunks; the stored bytes and the materials
zip are the bytes sent; a download that breaks off and a file over 10 MB are refused with their
sentence and nothing is stored."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from tests.bot.wecom.test_callback import OFFLINE_UNTIL_IMAGE, Served, running
from tests.conftest import noisy_jpeg, noisy_png

SAVED = "已保存「多合一营业执照」"


def told(served: Served, words: str, after: int = 0) -> None:
    served.api.wait_for(lambda api: any(words in t for t in api.texts_to("alice")[after:]))


def stored(served: Served) -> list[str]:
    return [hashlib.sha256(row[0]).hexdigest() for row in served.rows("SELECT data FROM files")]


def to_the_licence_question(served: Served) -> None:
    served.say("alice", "开始", *OFFLINE_UNTIL_IMAGE)
    told(served, "营业执照的照片")


def send(served: Served, media_id: str, content: bytes, mime: str, **how: int) -> int:
    """Send the image; returns how many texts alice had before (to wait for what follows)."""
    before = len(served.api.texts_to("alice"))
    served.api.add_media(media_id, content, mime, media_id.lower(), **how)
    served.wecom.post(served.wecom.image_xml("alice", media_id))
    return before


def packed_images(served: Served) -> list[str]:
    """sha256 of the images in the materials zip the app sends on ``材料``."""
    files = sum(m.get("msgtype") == "file" for m in served.api.sent())
    served.say("alice", "材料")
    served.api.wait_for(lambda api: sum(m.get("msgtype") == "file" for m in api.sent()) > files)
    message = [m for m in served.api.sent() if m.get("msgtype") == "file"][-1]
    package = served.api.uploads[message["file"]["media_id"]].content
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return [hashlib.sha256(archive.read(name)).hexdigest() for name in archive.namelist()
                if name.lower().endswith((".png", ".jpg", ".jpeg"))]


def test_photos_of_several_megabytes_are_stored_and_packed_byte_for_byte(tmp_path: Path) -> None:
    png, jpeg = noisy_png(), noisy_jpeg()
    with running(tmp_path) as served:
        to_the_licence_question(served)
        told(served, SAVED, send(served, "MEDIA-PNG", png, "image/png"))
        assert stored(served) == [hashlib.sha256(png).hexdigest()]
        assert packed_images(served) == [hashlib.sha256(png).hexdigest()]
        # A new photo in place of the first: the JPEG, whole.
        before = len(served.api.texts_to("alice"))
        served.say("alice", "修改 license_image")
        told(served, "营业执照的照片", before)
        told(served, SAVED, send(served, "MEDIA-JPEG", jpeg, "image/jpeg"))
        digest = hashlib.sha256(jpeg).hexdigest()
        value, _ = served.answers()["license_image"]
        assert isinstance(value, dict)
        assert (value["file_id"], value["size"], value["mime"]) == (digest, len(jpeg), "image/jpeg")
        assert packed_images(served) == [digest]


def test_a_broken_off_download_and_a_file_over_10_mb_are_refused(tmp_path: Path) -> None:
    with running(tmp_path) as served:
        to_the_licence_question(served)
        # media/get announces 3 MB (Content-Length) and drops the connection at 128,000 bytes.
        told(served, "图片没有完整收到，所以没有保存。请再发送一次。",
             send(served, "MEDIA-CUT", noisy_png(), "image/png", cut_after=128_000))
        # A real 10.9 MB PNG: refused with its real size, not "10.0 MB".
        told(served, "图片太大：10.9 MB，最多 10 MB。",
             send(served, "MEDIA-HUGE", noisy_png(2000, 1900), "image/png"))
        assert stored(served) == []
        assert "license_image" not in served.answers()
        assert served.rows("SELECT count(*) FROM history WHERE field = 'license_image'") == [(0,)]
        gets = [c for c in served.api.calls if c.path == "media/get"]
        assert len(gets) == 2
