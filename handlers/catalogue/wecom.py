"""What the WeCom adapter itself says (everything else comes from the dialogue).

Why these exist: a WeCom app chat has no private modal and shows buttons only on template
cards, so the adapter has a few sentences of its own — how to send keys for the credential
check, the hint under a card, what a tapped card turns into.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "wecom.choice_hint": (
        "回复选项编号作答，或点击下面卡片上的按钮。",
        "Reply with the option's number, or tap a button on the card below.",
    ),
    "wecom.card_hint": (
        "点击一个按钮作答（也可以直接回复编号）。",
        "Tap a button to answer (or reply with its number).",
    ),
    "wecom.card_chosen": ("已提交", "Sent"),
    "wecom.card_closed": ("已失效", "No longer open"),
    "wecom.unsupported": (
        "我能读懂文字、图片和卡片按钮；这种消息我还处理不了。回复「帮助」查看可以做什么。",
        "I can read text, pictures and card buttons, but not this kind of message. "
        "Reply 'help' to see what I can do.",
    ),
    "wecom.image_busy": (
        "你之前发的图片还在接收中，这张没有处理，什么都没有保存。等前面的图片有了结果再发送一次。",
        "Your earlier pictures are still arriving, so this one was not taken and nothing was "
        "kept. Send it again once they have been answered.",
    ),
    "wecom.image_failed": (
        "没能从企业微信取回这张图片，什么都没有保存。请稍后再发送一次。",
        "I could not fetch that picture from WeCom, so nothing was kept. Please send it again in a moment.",
    ),
    "wecom.file_failed": (
        "文件「{name}」没能通过企业微信发出，请稍后再要一次。",
        "The file '{name}' could not be sent through WeCom; please ask for it again in a moment.",
    ),
    "wecom.check_how": (
        "在这里（你和本应用的一对一聊天，别人看不到）发送一条消息：\n"
        "检查 <SecretId> <SecretKey>\n"
        "两者用空格隔开；要检查另一个环境，可在最后加上 test 或 prod。"
        "密钥只用于这一次检查，不会保存，也不会转发给其他成员；检查结果会发给这个案例的所有成员。",
        "Send one message here (your one-to-one chat with this app, which nobody else sees):\n"
        "check <SecretId> <SecretKey>\n"
        "separated by a space (add test or prod at the end to check the other environment). "
        "The keys are used for this one check only: they are not stored "
        "and not passed to other members. The result goes to every member of the case.",
    ),
    "wecom.check_usage": (
        "检查密钥的格式是：检查 <SecretId> <SecretKey>（两者用空格隔开）。这条消息没有被保存。",
        "To check keys, send: check <SecretId> <SecretKey> (separated by a space). "
        "Nothing from that message was kept.",
    ),
    "wecom.check_started": (
        "正在用这对密钥调用腾讯电子签检查，结果稍后发给案例的所有成员。",
        "Checking these keys against Tencent E-Sign now; the result will go to every member of the case.",
    ),
}
