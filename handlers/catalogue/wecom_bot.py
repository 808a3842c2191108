"""What the WeCom smart bot adapter itself says (everything else comes from the dialogue).

Why its own part: the smart bot lives in group chats as well as single chats, so where keys
may be typed (a single chat with the bot, never a group) and what a group is told instead are
its own sentences; the rest it shares with the self-built app (``wecom.*``).
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "wecombot.welcome": (
        "你好，我是腾讯电子签集成版的接入助手，会一步一步带你们完成开通。"
        "回复「开始」新建接入，回复「帮助」查看所有命令。\n"
        "Hi, I walk your team through onboarding onto Tencent E-Sign. "
        "Reply 'start' to begin, or 'help' for every command.",
        "Hi, I walk your team through onboarding onto Tencent E-Sign. "
        "Reply 'start' to begin, or 'help' for every command.\n"
        "你好，我是腾讯电子签集成版的接入助手。回复「开始」新建接入，回复「帮助」查看所有命令。",
    ),
    "wecombot.check_how": (
        "在这里（你和我的单聊，群里的人看不到）发送一条消息：\n"
        "检查 <SecretId> <SecretKey>\n"
        "两者用空格隔开；要检查另一个环境，可在最后加上 test 或 prod。"
        "密钥只用于这一次检查，我不会保存，也不会转发；检查结果会发到这个案例的聊天里。",
        "Send one message here (your single chat with me, which nobody else sees):\n"
        "check <SecretId> <SecretKey>\n"
        "separated by a space (add test or prod at the end to check the other environment). "
        "The keys are used for this one check only: I do not store or pass them on. "
        "The result goes to this case's chat.",
    ),
    "wecombot.check_in_group": (
        "密钥不能在群里发送：群里的每个人都会看到它。请打开和我的单聊（点我的头像 → 发消息），"
        "在那里发送：检查 <SecretId> <SecretKey>。检查的是你在这个群里正在做的案例，结果会发回这个群。",
        "Keys are never sent in a group: everyone in it would see them. Open a single chat with "
        "me (tap my avatar → Message) and send there: check <SecretId> <SecretKey>. It checks "
        "the case you are working on in this group, and the result comes back here.",
    ),
    "wecombot.file_sent_privately": (
        "<@{user}> 「{name}」含有个人信息，我把它发到了你和我的单聊里。",
        "<@{user}> '{name}' holds personal data, so I sent it to your single chat with me.",
    ),
    "wecombot.file_needs_single_chat": (
        "<@{user}> 「{name}」含有个人信息，只能发到你和我的单聊里，但你还没有和我单聊过。"
        "请先在单聊里给我发一句话（比如「帮助」），再回到这里要一次。",
        "<@{user}> '{name}' holds personal data, so it can only go to your single chat with me, "
        "and you have not written to me there yet. Send me anything there (e.g. 'help'), then "
        "ask for it here again.",
    ),
    "wecombot.secret_in_group": (
        "⚠️ 你的消息里似乎有 SecretKey，我没有使用它，也没有保存。群里的每个人都能看到它："
        "请撤回这条消息，并在腾讯云控制台「访问管理 > API 密钥管理」禁用这对密钥、新建一对。"
        "检查密钥请在和我的单聊里发送「检查」。（如果这是应用号，请回复「修改 app_id 应用号」。）",
        "⚠️ Your message seems to contain a SecretKey, so I did not use or keep it. Everyone in "
        "the group can see it: recall the message, then disable that key pair and create a new "
        "one in the Tencent Cloud console (访问管理 > API 密钥管理). To check keys, send 'check' in "
        "a single chat with me. (If it was an app ID, reply 'edit app_id <app ID>'.)",
    ),
    "wecombot.check_started": (
        "正在用这对密钥调用腾讯电子签检查，结果稍后发到案例的聊天里。密钥我没有保存，"
        "但这个单聊的聊天记录里还留着你的消息：请撤回或删除它。",
        "Checking these keys against Tencent E-Sign now; the result will follow in the case's "
        "chat. I did not store the keys, but this chat's history still holds your message: "
        "recall or delete it.",
    ),
    "wecombot.unsupported": (
        "我能读懂文字、语音、图片、文件和卡片按钮；这种消息我还处理不了。回复「帮助」查看可以做什么。",
        "I can read text, voice, pictures, files and card buttons, but not this kind of "
        "message. Reply 'help' to see what I can do.",
    ),
    "wecombot.first_picture_only": (
        "这条消息有 {count} 张图片，我只收下了第一张。其他图片请一张一张地发。",
        "That message held {count} pictures; I took the first one only. Send the others one "
        "at a time.",
    ),
    "wecombot.voice_unheard": (
        "这条语音没有转出文字，什么都没有保存。请再说一次，或者直接打字回复。",
        "No words came through from that voice message, so nothing was saved. Say it again, "
        "or type your answer.",
    ),
}
