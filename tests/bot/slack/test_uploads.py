"""Files shared in a case's Slack thread arrive whole or not at all, through ``esignbot serve``:
real multi-megabyte photos served by the fake file host in chunks, as a real one sends them; the
stored bytes (the ``files`` table) and the materials zip built afterwards are the bytes sent; a
download that breaks off, a size that does not match, and a file over 10 MB are refused with
their sentence and nothing is stored."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator

import pytest

from tests.bot.slack.test_app import Thread, texts, walk_to_the_licence_question
from tests.conftest import noisy_jpeg, noisy_png
from tests.fakes.slack_world import TEAM, SlackWorld, slack_world

MB = 2**20


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    with slack_world(tmp_path_factory.mktemp("slack-uploads")) as started:
        started.api.users.update({"U1": "Alice Wang"})
        yield started


def stored(world: SlackWorld, channel: str) -> list[str]:
    """sha256 of every file stored for the channel's case, from the bytes in the database."""
    rows = world.rows("SELECT data FROM files WHERE case_id = (SELECT id FROM cases WHERE "
                      "conversation = ? AND state = 'active')", f"slack:{TEAM}:{channel}")
    return [hashlib.sha256(row[0]).hexdigest() for row in rows]


def materials_images(world: SlackWorld, thread: Thread) -> list[str]:
    """sha256 of the image files in the materials zip the bot uploads on ``materials``."""
    thread.command("materials")
    upload = [c for c in world.api.calls if c.method == "files.completeUploadExternal"][-1]
    package = zipfile.ZipFile(io.BytesIO(world.api.uploads[upload.params["files"][0]["id"]]))
    return [hashlib.sha256(package.read(name)).hexdigest() for name in package.namelist()
            if name.lower().endswith((".png", ".jpg", ".jpeg"))]


@pytest.mark.parametrize(("kind", "make", "mime"), [
    ("png", noisy_png, "image/png"), ("jpeg", noisy_jpeg, "image/jpeg")])
def test_a_photo_of_several_megabytes_is_stored_and_packed_byte_for_byte(
        world: SlackWorld, kind: str, make: object, mime: str) -> None:
    photo: bytes = make()  # type: ignore[operator]
    assert len(photo) > 2 * MB
    channel = f"CBIG{kind.upper()}"
    thread = walk_to_the_licence_question(world, channel)
    calls = thread.say("", files=[world.api.share_file(photo, f"licence.{kind}", mime)])
    assert "已保存「多合一营业执照」" in texts(calls)
    digest = hashlib.sha256(photo).hexdigest()
    answer = world.answers(channel)["license_image"]
    assert (answer["size"], answer["file_id"], answer["mime"]) == (len(photo), digest, mime)
    assert stored(world, channel) == [digest]
    assert materials_images(world, thread) == [digest]


def test_a_download_that_breaks_off_or_does_not_match_its_size_is_refused(world: SlackWorld) -> None:
    thread = walk_to_the_licence_question(world, "CCUT")
    photo = noisy_png()
    # The file host announces 3 MB and drops the connection after 128,000 bytes.
    calls = thread.say("", files=[world.api.share_file(photo, "licence.png", "image/png",
                                                       cut_after=128_000)])
    assert "图片没有完整收到，所以没有保存。请再发送一次。" in texts(calls, "chat.postEphemeral")
    # Slack's file object says 3 MB; the host sends (and announces) only the first 128,000.
    calls = thread.say("", files=[world.api.share_file(photo[:128_000], "licence.png", "image/png",
                                                       size=len(photo))])
    assert "图片没有完整收到" in texts(calls, "chat.postEphemeral")
    assert "license_image" not in world.answers("CCUT")
    assert stored(world, "CCUT") == []
    assert "请上传多合一营业执照的照片" in texts(calls)  # and the question again


def test_a_file_over_10_mb_is_refused_with_its_real_size_or_as_more_than_10_mb(
        world: SlackWorld) -> None:
    thread = walk_to_the_licence_question(world, "CHUGE")
    huge = noisy_png(2000, 1900)  # a real 10.9 MB PNG
    downloads = len(world.api.calls_to("download"))
    calls = thread.say("", files=[world.api.share_file(huge, "huge.png", "image/png")])
    assert "图片太大：10.9 MB，最多 10 MB。" in texts(calls, "chat.postEphemeral")
    assert len(world.api.calls_to("download")) == downloads  # refused from its declared size
    # Slack's object says 3 MB, the file host's Content-Length says the truth: that is told.
    calls = thread.say("", files=[world.api.share_file(huge, "huge.png", "image/png", size=3 * MB)])
    assert len(world.api.calls_to("download")) == downloads + 1
    assert "图片太大：10.9 MB，最多 10 MB。" in texts(calls, "chat.postEphemeral")
    # Said to be 3 MB and sent without a length, it runs past the limit: what follows is counted
    # (and dropped) to its end, so the refusal gives the real size, never "10.0 MB".
    calls = thread.say("", files=[world.api.share_file(huge, "huge.png", "image/png", size=3 * MB,
                                                       chunked=True)])
    refusal = texts(calls, "chat.postEphemeral")
    assert "图片太大：10.9 MB，最多 10 MB。" in refusal and "10.0 MB" not in refusal
    assert "license_image" not in world.answers("CHUGE")
    assert stored(world, "CHUGE") == []
