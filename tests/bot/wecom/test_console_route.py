"""A test case on today's console route through WeCom (issue 16): ``esignbot serve`` as a
process, WeCom's callbacks encrypted and signed, the fake WeCom API, and the fake E-Sign test
host on loopback. From the greeting to a passing check, no bank-transfer, real-name or review
question is asked, and the first-call program arrives as a file."""

from __future__ import annotations

from pathlib import Path

from tests.bot.wecom.test_callback import running
from tests.fakes.tencentcloud import APP_TEST, FakeTencentCloud, secret_id, secret_key, standard_cloud

WALK = ["开始", "1", "控制台", "已创建", "测试科技有限公司", "合同助手", "pc web", "在线签署合同",
        APP_TEST, "跳过"]


def test_a_test_case_on_the_console_route_from_greeting_to_a_passing_check(tmp_path: Path) -> None:
    cloud: FakeTencentCloud = standard_cloud()
    key = secret_key("TestOnly")
    with cloud.serving(), running(tmp_path, ESIGNBOT_TENCENTCLOUD_ENDPOINT=cloud.endpoint,
                                  ESIGNBOT_TENCENTCLOUD_TEST_ENDPOINT=cloud.test_endpoint) as served:
        served.say("alice", *WALK)
        served.api.wait_for(lambda api: any("现在检查密钥吗" in t for t in api.texts_to("alice")))
        served.say("bob", f"检查 {secret_id('TestOnly')} {key}")
        served.api.wait_for(lambda api: any("🎉 接入完成" in t for t in api.texts_to("alice")))
        served.api.wait_for(lambda api: any(m.get("msgtype") == "file" for m in api.sent()))
        served.settle()
        everything = "\n".join(served.api.texts_to("alice"))
        for guide in ("对公打款认证进行到哪一步", "补充实名认证进行到哪一步", "应用号申请进行到哪一步",
                      "主账号的 UIN"):
            assert guide not in everything, guide
        closing = everything[everything.index("🎉 接入完成"):]
        assert APP_TEST in closing and "应用集成 > 测试联调 > 参数配置" in closing
        snippet = next(m for m in served.api.sent() if m.get("msgtype") == "file")
        upload = served.api.uploads[snippet["file"]["media_id"]]
        assert upload.filename == "esign_first_call_case1_test.py"
        assert APP_TEST.encode() in upload.content and key.encode() not in upload.content
        assert {environment for environment, _, _ in cloud.seen} == {"test"}
        assert served.rows("SELECT value FROM answers WHERE field = 'key_check'") == [('"passed"',)]
