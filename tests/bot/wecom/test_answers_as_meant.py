"""Issue 26 through ``esignbot serve`` and WeCom's encrypted callbacks: an app named like a
command is stored as the answer, not read as the ``check`` command (by the adapter's key
handling or the dialogue), and the language chosen with ``lang`` outlives a cancelled case."""

from __future__ import annotations

from pathlib import Path

from tests.bot.wecom.test_callback import running

TO_APP_NAME = ["开始", "1", "控制台", "已创建", "测试科技有限公司"]


def test_an_app_named_like_a_command_is_the_answer_and_the_language_outlives_the_case(
        tmp_path: Path) -> None:
    with running(tmp_path) as served:
        served.say("alice", *TO_APP_NAME, "Check Point 助手")
        served.api.wait_for(lambda api: any("应用类型是？" in t for t in api.texts_to("alice")))
        assert served.answers()["app_name"] == ("Check Point 助手", "alice")
        everything = "\n".join(served.api.texts_to("alice"))
        assert "检查" not in everything.split("Check Point 助手", 1)[1].split("应用类型是？")[0]

        served.say("alice", "lang en", "cancel", "yes", "hello")
        served.api.wait_for(lambda api: any("There is no onboarding case here yet" in t
                                            for t in api.texts_to("alice")))
        served.settle()
        after = "\n".join(served.api.texts_to("alice")).split("Switched to English.", 1)[1]
        assert "这里还没有进行中的接入案例" not in after
        assert served.rows("SELECT state FROM cases") == [("cancelled",)]
