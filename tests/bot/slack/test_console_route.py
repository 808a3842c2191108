"""A test case on today's console route through Slack (issue 16): ``esignbot serve`` as a
process, signed Events API requests, the fake Web API, and the fake E-Sign test host. Buttons
all the way, the keys through the private modal, then the closing message and the first-call
program uploaded into the case's thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.bot.slack.test_app import Thread, start, texts
from tests.fakes.slack_world import slack_world
from tests.fakes.tencentcloud import APP_TEST, Key, secret_id, secret_key


def test_a_test_case_on_the_console_route_from_greeting_to_a_passing_check(tmp_path: Path) -> None:
    with slack_world(tmp_path) as world:
        key = secret_key("TestOnly")
        world.tencent.add_key(Key(secret_id("TestOnly"), key, "300000000009", "300000000009",
                                  environments=frozenset({"test"})))
        world.tencent.apps["test"][APP_TEST] = "ok"
        thread: Thread = start(world, "CROUTE")
        thread.click("测试环境（联调）")
        assert "测试联调" in thread.question().text() or "测试联调" in texts(world.posts("CROUTE"))
        thread.click("控制台自助创建（应用集成，几分钟，无需审核）")
        thread.click("已创建并完成认证")
        thread.say("测试科技有限公司")
        thread.say("合同助手")
        thread.click("PC Web")
        thread.say("在线签署合同")
        calls = thread.say(APP_TEST)
        assert "白名单" in texts(calls)
        thread.say("skip")
        assert "现在检查密钥吗" in thread.question().text()
        thread.command("check")
        view = [c for c in world.api.calls if c.method == "views.open"][-1].params["view"]

        def values(environment: str) -> dict[str, Any]:
            return {"secret_id": {"value": {"type": "plain_text_input",
                                            "value": secret_id("TestOnly")}},
                    "secret_key": {"value": {"type": "plain_text_input", "value": key}},
                    "environment": {"value": {"type": "static_select",
                                              "selected_option": {"value": environment}}}}

        assert world.sender.submit_view(view, values("test")).status_code == 200
        world.api.wait_for(lambda calls: any(
            c.method == "chat.postMessage" and "🎉 接入完成" in c.text() for c in calls))
        world.api.wait_calls("files.completeUploadExternal")
        posted = texts(world.settle("CROUTE"))
        for guide in ("对公打款认证进行到哪一步", "补充实名认证进行到哪一步", "应用号申请进行到哪一步"):
            assert guide not in posted, guide
        upload = [c for c in world.api.calls if c.method == "files.completeUploadExternal"][-1]
        content = world.api.uploads[upload.params["files"][0]["id"]]
        assert APP_TEST.encode() in content and key.encode() not in content
        assert upload.params.get("thread_ts") == thread.root
        assert {environment for environment, _, _ in world.tencent.seen} == {"test"}
        assert world.answers("CROUTE")["key_check"] == "passed"
