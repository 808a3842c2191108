"""Who sees what, through ``esignbot serve`` (issue 30): a member who never answered gets no
unmasked personal value by any command, on WeCom or Slack; admins are named with their platform
and workspace, an admin of one Slack workspace sees nothing of another, and an admin setting in
the old or an unreadable form stops the server at start with one sentence.

The case is written into the database before ``serve`` starts (as the bot writes it, through
``CaseStore``): what is tested is who may read it back, not how it was answered."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import CaseStore
from storage.wecom import add_member
from tests.bot.wecom.test_callback import CORP, running, wecom_env
from tests.conftest import png_bytes
from tests.fakes.local_server import free_port
from tests.fakes.slack_api import Call
from tests.fakes.slack_events import SlackSender
from tests.fakes.slack_world import SIGNING_SECRET, TEAM, SlackWorld, slack_world

RESIDENT_ID = "11010519491231002X"
PHONE = "13812345678"
FULL = (RESIDENT_ID, PHONE)
AT = "2026-03-02T01:00:00+00:00"
ANSWERS = {"environment": "prod", "has_verified_account": "yes", "uin": "100016315204",
           "realname_route": "offline", "org_type": "individual",
           "uscc": "9144030071526726XG", "operator_name": "张三", "operator_id_number": RESIDENT_ID,
           "contact_phone": PHONE, "org_email": "ops@example.com"}
"""A production case on the offline real-name route, an individual business: its operator's
resident ID and phone, and everything the materials package needs (the licence photo too)."""


def seed_case(db: Path, conversation: str, user: str, name: str, enterprise: str = "测试科技有限公司",
              *, members: tuple[str, ...] = ()) -> int:
    """The case of ``conversation``, every answer given by ``user``."""
    store = CaseStore(db)
    try:
        with store.transaction() as tx:
            case = tx.create_case(conversation, "zh", user, name, AT)
            for key, value in {**ANSWERS, "enterprise_name": enterprise}.items():
                tx.put_answer(case.id, key, value, kind="answer", user_id=user, user_name=name,
                              at=AT)
            photo = tx.put_file(case.id, "licence.png", "image/png", png_bytes(4, 4),
                                user_id=user, at=AT)
            tx.put_answer(case.id, "license_image", {"file_id": photo.id, "name": "licence.png",
                                                     "mime": "image/png", "size": photo.size},
                          kind="answer", user_id=user, user_name=name, at=AT)
            for member in members:
                add_member(tx, case.id, member, AT)
            return case.id
    finally:
        store.close()


def unzipped(package: bytes) -> bytes:
    """Every file inside a zip, concatenated, a zip inside (the workbook) opened too: its XML
    holds the values."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        inner = [archive.read(name) for name in archive.namelist()]
    return b"".join(unzipped(data) if data[:2] == b"PK" else data for data in inner)


# -- WeCom -------------------------------------------------------------------------------------
COMMANDS_ZH = ("材料", "状态", "表格", "邮件", "帮助", "materials", "status")


def test_on_wecom_a_member_who_never_answered_gets_no_full_value(tmp_path: Path) -> None:
    seed_case(tmp_path / "esignbot.db", f"wecom:{CORP}", "alice", "Alice", members=("alice",))
    with running(tmp_path) as served:
        for command in COMMANDS_ZH:
            served.wecom.text("bob", command)
        served.api.wait_for(lambda api: any("只交给填写这些信息的成员（Alice）" in text
                                            for text in api.texts_to("bob")))
        served.settle("bob")
        to_bob = [json.dumps(m, ensure_ascii=False) for m in served.api.sent_to("bob")]
        assert not [m for m in served.api.sent_to("bob") if m.get("msgtype") == "file"]
        for value in FULL:
            assert not [m for m in to_bob if value in m], value
        assert not any(RESIDENT_ID.encode() in unzipped(upload.content)
                       for upload in served.api.uploads.values()
                       if upload.filename.endswith(".zip"))
        assert any("1101**********002X" in m for m in to_bob)  # status shows it, masked

        # The member who gave the values asks: the package, whole, to her alone.
        served.wecom.text("alice", "材料")
        served.api.wait_for(lambda api: any(m.get("msgtype") == "file"
                                            for m in api.sent_to("alice")))
        (message,) = [m for m in served.api.sent() if m.get("msgtype") == "file"]
        assert message["touser"] == "alice"
        assert RESIDENT_ID.encode() in unzipped(served.api.uploads[message["file"]["media_id"]].content)


# -- Slack -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    tmp = tmp_path_factory.mktemp("slack-who-sees-what")
    seed_case(tmp / "esignbot.db", f"slack:{TEAM}:CSHARED", "U1", "Alice Wang")
    seed_case(tmp / "esignbot.db", f"slack:{TEAM}:CONE", "U1", "Alice Wang", "甲一科技有限公司")
    seed_case(tmp / "esignbot.db", "slack:T2:CTWO", "U7", "Tom", "乙二科技有限公司")
    with slack_world(tmp, ESIGNBOT_ADMINS=f"slack:{TEAM}:U0ADMIN") as started:
        started.api.users.update({"U1": "Alice Wang", "U2": "Bob Li", "U0ADMIN": "Admin"})
        yield started


def everything_for(calls: list[Call], world: SlackWorld) -> str:
    """Every parameter of every call, and every file uploaded (unzipped), as one text."""
    said = "\n".join(json.dumps(c.params, ensure_ascii=False) for c in calls)
    files = [unzipped(data) if data[:2] == b"PK" else data for data in world.api.uploads.values()]
    return said + "\n" + b"\n".join(files).decode("utf-8", "replace")


def test_on_slack_a_member_who_never_answered_gets_no_full_value(world: SlackWorld) -> None:
    for command in ("materials", "status", "excel", "email", "help"):
        response = world.sender.command(command, channel="CSHARED", user="U2")
        assert response.status_code == 200, response.text
    world.settle("CSHARED")
    response = world.sender.event({"type": "app_home_opened", "user": "U2", "channel": "DU2",
                                   "tab": "home", "event_ts": "1.1"})
    assert response.status_code == 200
    world.api.wait_calls("views.publish")
    world.settle("DU2")
    seen = everything_for(world.api.calls, world)
    for value in FULL:
        assert value not in seen, value
    assert not world.api.calls_to("files.completeUploadExternal")
    refusals = [c.text() for c in world.api.calls_to("chat.postEphemeral")
                if c.params.get("user") == "U2"]
    assert any("只交给填写这些信息的成员（Alice Wang）" in text for text in refusals)

    # Alice, who gave them, gets the package in her DM.
    world.sender.command("materials", channel="CSHARED", user="U1")
    world.api.wait_calls("files.completeUploadExternal")
    assert any(RESIDENT_ID.encode() in unzipped(data) for data in world.api.uploads.values())


def test_an_admin_of_one_workspace_sees_nothing_of_another(world: SlackWorld) -> None:
    """``slack:T1:U0ADMIN`` lists T1's cases; the same user id in team T2 is nobody there."""
    response = world.sender.command("status all", channel="CONE", user="U0ADMIN")
    assert response.status_code == 200
    world.settle("CONE")
    listing = [c.text() for c in world.api.calls_to("chat.postEphemeral")
               if c.params.get("user") == "U0ADMIN" and c.params.get("channel") == "CONE"]
    assert listing and "甲一科技有限公司" in listing[-1]
    assert "乙二科技有限公司" not in listing[-1]

    other_team = SlackSender(str(world.sender.http.base_url).rstrip("/"), SIGNING_SECRET,
                             team="T2", api_base=world.api.base)
    try:
        response = other_team.command("status all", channel="CTWO", user="U0ADMIN")
        assert response.status_code == 200
    finally:
        other_team.close()
    world.settle("CTWO")
    elsewhere = "\n".join(c.text() for c in world.api.calls if c.params.get("channel") == "CTWO")
    assert "ESIGNBOT_ADMINS" in elsewhere
    assert "甲一科技有限公司" not in elsewhere and "乙二科技有限公司" not in elsewhere


# -- the setting --------------------------------------------------------------------------------
@pytest.mark.parametrize("setting", ["U0ADMIN,wecom:lisi", "U0ADMIN;U0BOB", "slack:U0ADMIN",
                                     f'"slack:{TEAM}:U0ADMIN"', f"slack:{TEAM}:U0ADMIN; wecom:{CORP}:lisi",
                                     " , ，"])
def test_an_admins_setting_that_cannot_be_read_stops_serve_with_one_sentence(
        tmp_path: Path, setting: str) -> None:
    """Before, ``U0ADMIN`` matched that id in every workspace and ``;`` or quotes silently made
    nobody an admin; the server started either way."""
    env = wecom_env("http://127.0.0.1:9/cgi-bin/", ESIGNBOT_ADMINS=setting)
    try:
        proc = subprocess.run([sys.executable, "-m", "bot.cli", "serve", "--db",
                               str(tmp_path / "esignbot.db"), "--port", str(free_port())],
                              capture_output=True, text=True, encoding="utf-8", timeout=25,
                              cwd=tmp_path, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve started with ESIGNBOT_ADMINS={setting!r}")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "ESIGNBOT_ADMINS" in proc.stderr and "Traceback" not in proc.stdout + proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
