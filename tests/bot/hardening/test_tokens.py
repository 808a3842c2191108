"""Tokens go only to the exact origins they belong to (issue 17, part 6): Slack's bot token to
https://files.slack.com or the configured API's origin — scheme, host and port — and never
along a redirect; WeCom's access token (and corp secret) to the WECOM_API_URL origin only, never
along a redirect. A second local server records whatever reaches it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.origins import origin
from bot.slack.app import file_origins, trusted_file_url
from bot.wecom.client import WeComApi, WeComApiError
from tests.bot.wecom.test_callback import CORP, SECRET, running
from tests.conftest import png_bytes
from tests.fakes.recorder import Recorder
from tests.fakes.slack_world import BOT_TOKEN, SlackWorld, slack_world
from tests.fakes.wecom_api import FakeWeComApi


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    with slack_world(tmp_path_factory.mktemp("slack-tokens")) as started:
        yield started


@pytest.fixture
def other() -> Iterator[Recorder]:
    with Recorder().serving() as recorder:
        yield recorder


def in_case(world: SlackWorld, channel: str) -> str:
    assert world.sender.command("start", channel=channel).status_code == 200
    world.wait_posts(channel, 1)
    world.settle(channel)
    rows = world.rows("SELECT t.thread_ts FROM slack_threads t JOIN cases c ON c.id = t.case_id "
                      "WHERE c.conversation = ?", f"slack:T1:{channel}")
    return str(rows[0][0])


def share(world: SlackWorld, channel: str, root: str, file: dict[str, object]) -> str:
    world.sender.message("", channel=channel, thread_ts=root, files=[file])
    return "\n".join(c.text() for c in world.settle(channel) if c.method == "chat.postEphemeral")


def test_a_file_on_the_same_host_but_another_port_never_sees_the_bot_token(
        world: SlackWorld, other: Recorder) -> None:
    root = in_case(world, "CTOKPORT")
    info = world.api.share_file(png_bytes(), "licence.png", "image/png")
    elsewhere = {**info, "url_private_download": f"{other.base}/files-pri/{info['id']}/download/x.png",
                 "url_private": f"{other.base}/files-pri/{info['id']}/x.png"}
    told = share(world, "CTOKPORT", root, elsewhere)
    assert "没能从 Slack 取到这个文件" in told
    assert other.received == [] and BOT_TOKEN not in other.everything()


def test_a_file_download_that_redirects_elsewhere_is_refused(world: SlackWorld, other: Recorder) -> None:
    root = in_case(world, "CTOKREDIR")
    info = world.api.share_file(png_bytes(), "licence.png", "image/png")
    world.api.redirects[str(info["id"])] = f"{other.base}/stolen"
    told = share(world, "CTOKREDIR", root, info)
    assert "没能从 Slack 取到这个文件" in told
    assert other.received == []  # not followed at all, with or without the token
    assert world.api.calls_to("download") == []
    # The same file without the redirect comes in: the check is the origin, not the file.
    world.api.redirects.clear()
    share(world, "CTOKREDIR", root, info)
    assert len(world.api.calls_to("download")) == 1


@pytest.mark.parametrize(("url", "trusted"), [
    ("https://files.slack.com/files-pri/T1-F1/download/a.png", True),
    ("https://FILES.slack.com:443/files-pri/T1-F1/a.png", True),
    ("http://files.slack.com/files-pri/T1-F1/a.png", False),       # plain http
    ("https://files.slack.com:8443/files-pri/T1-F1/a.png", False),  # another port
    ("https://files.slack.com.evil.example/a.png", False),
    ("https://evil.slack.com/a.png", False),                        # another host of slack.com
    ("https://slack.com/api/../files-pri/a.png", True),             # the API's own origin
    ("http://slack.com/files-pri/a.png", False),
    ("https://files.slack.com:notaport/a.png", False),
    ("ftp://files.slack.com/a.png", False),
])
def test_the_file_allowlist_compares_whole_origins(url: str, trusted: bool) -> None:
    assert trusted_file_url(url, file_origins("https://slack.com/api/")) is trusted


def test_a_local_api_url_allows_exactly_its_own_origin() -> None:
    allowed = file_origins("http://127.0.0.1:8123/api/")
    assert origin("http://127.0.0.1:8123/x") in allowed
    assert not trusted_file_url("http://127.0.0.1:8124/x", allowed)
    assert not trusted_file_url("https://127.0.0.1:8123/x", allowed)


def test_wecom_never_follows_a_redirect_with_its_access_token(tmp_path: Path, other: Recorder) -> None:
    with running(tmp_path) as served:
        served.say("alice", "开始")
        served.api.wait_for(lambda api: bool(api.texts_to("alice")))
        served.api.add_media("MEDIA-REDIRECT", png_bytes(), "image/png", "licence.png")
        served.api.redirected["MEDIA-REDIRECT"] = f"{other.base}/cgi-bin/media/get"
        served.wecom.post(served.wecom.image_xml("alice", "MEDIA-REDIRECT"))
        served.api.wait_for(lambda api: any("没能从企业微信取回这张图片" in text
                                            for text in api.texts_to("alice")))
        assert other.received == []
        assert served.rows("SELECT count(*) FROM files") == [(0,)]


def test_wecom_sends_its_token_to_no_other_origin(other: Recorder) -> None:
    """wechatpy takes an absolute URL as it comes (its own media download is hard-coded to
    qyapi.weixin.qq.com) and adds the access token to it: the client refuses such a request."""
    with FakeWeComApi(CORP, SECRET) as fake:
        api = WeComApi(CORP, 1000002, SECRET, fake.url)
        with pytest.raises(WeComApiError):
            api._call("get", lambda: api._client.get(f"{other.base}/cgi-bin/user/get"))
        plain_http = fake.url.replace("http://127.0.0.1", "http://localhost")  # same port, other host
        with pytest.raises(WeComApiError):
            api._call("get", lambda: api._client.get(f"{plain_http}user/get"))
        assert other.received == []
        assert [c.path for c in fake.calls] == ["gettoken"]  # only where it belongs
