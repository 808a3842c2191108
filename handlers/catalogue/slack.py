# ruff: noqa: E501
"""What the Slack adapter itself says (threads, buttons, the keys modal, App Home), zh and en.

Why here and not in ``bot/``: every sentence a person reads lives in the catalogue, so the
same test proves both languages have each key with the same placeholders.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # -- conversation in a channel ---------------------------------------------------------
    "slack.thread_hint": (
        "🧵 请在这条消息的话题（thread）里回复来回答问题；频道里的其他聊天我不会当作回答。",
        "🧵 Answer in this message's thread; other chat in the channel is never taken as an answer.",
    ),
    "slack.not_a_command": (
        "「{word}」不是命令。回答问题请直接在案例的话题里回复。",
        "'{word}' is not a command. To answer a question, reply in the case's thread.",
    ),
    "slack.not_in_channel": (
        "我还不在这个频道里，发不了消息。请先输入 /invite @esignbot 邀请我，再试一次（已保存的内容都还在）。",
        "I am not in this channel, so I cannot post here. Invite me with /invite @esignbot and try again (nothing saved is lost).",
    ),
    "slack.not_in_group_dm": (
        "我还不在这个多人私信里，发不了消息。请把我加进来（在对话详情的「集成」中添加应用 esignbot）再试一次；也可以在频道里 /invite @esignbot，或直接私信我。已保存的内容都还在。",
        "I am not in this group DM, so I cannot post here. Add me (the conversation's details → Integrations → Add an app → esignbot) and try again, or /invite @esignbot in a channel, or DM me. Nothing saved is lost.",
    ),
    "slack.chosen": ("✔ {user} 选择了：{choice}", "✔ {user} chose: {choice}"),
    "slack.multi_submit": ("确定", "Submit"),
    "slack.multi_none": ("（未选择）", "(none chosen)"),
    # -- secrets typed into a message ------------------------------------------------------
    "slack.secret_in_channel": (
        "⚠️ 你的消息里似乎有 SecretKey，我没有使用它。频道里的每个人都能看到它：请删除这条消息，并在腾讯云控制台「访问管理 > API 密钥管理」禁用这对密钥、新建一对。检查密钥请用 /esign check，在私密弹窗里输入。（如果这是应用号，请回复「修改 app_id 应用号」。）",
        "⚠️ Your message seems to contain a SecretKey, so I did not use it. Everyone in the channel can see it: delete the message, then disable that key pair and create a new one in the Tencent Cloud console (访问管理 > API 密钥管理). To check keys, use /esign check and type them into its private form. (If it was an app ID, reply 'edit app_id <app ID>'.)",
    ),
    "slack.secret_in_command": (
        "我没有使用命令里输入的密钥，也没有保存它们。请在刚打开的私密窗口里输入 SecretId 和 SecretKey。",
        "I did not use or keep the keys typed into the command. Type the SecretId and SecretKey into the private form that just opened.",
    ),
    # -- files -------------------------------------------------------------------------------
    "slack.file_sent_privately": (
        "「{name}」含有个人信息，我把它私信发给你了。",
        "'{name}' holds personal data, so I sent it to you in a direct message.",
    ),
    "slack.file_unreadable": (
        "我没能从 Slack 取到这个文件，请再上传一次。",
        "I could not fetch that file from Slack; please upload it again.",
    ),
    # -- the keys modal --------------------------------------------------------------------
    "slack.keys_title": ("检查 API 密钥", "Check API keys"),
    "slack.keys_submit": ("开始检查", "Check"),
    "slack.keys_close": ("取消", "Cancel"),
    "slack.keys_intro": (
        "密钥只用于这一次检查：不会保存、不会写进日志，也不会出现在频道里。检查结果（不含密钥）会发到案例的话题里。",
        "The keys are used for this one check only: never stored, never logged, never shown in the channel. The result, without the keys, is posted to the case's thread.",
    ),
    "slack.keys_secret_id": ("SecretId", "SecretId"),
    "slack.keys_secret_key": ("SecretKey", "SecretKey"),
    "slack.keys_secret_key_hint": (
        "Slack 的输入框不会隐藏字符，输入时请留意屏幕周围。",
        "Slack's text boxes do not hide what you type; mind who can see your screen.",
    ),
    "slack.keys_button": ("🔒 私密输入密钥", "🔒 Enter the keys privately"),
    "slack.keys_checking": (
        "正在检查密钥，结果会发到案例的话题里。",
        "Checking the keys; the result will be posted in the case's thread.",
    ),
    # -- App Home --------------------------------------------------------------------------
    "slack.home_title": ("腾讯电子签接入", "Tencent E-Sign onboarding"),
    "slack.home_intro": (
        "你参与的接入案例（由你发起或你回答过问题的）：",
        "The onboarding cases you take part in (you started them or answered in them):",
    ),
    "slack.home_empty": (
        "你还没有参与任何接入案例。在频道里输入 /esign start 开始，或在「消息」标签里给我发「开始」。",
        "You are not part of any onboarding case yet. Type /esign start in a channel, or send me 'start' in the Messages tab.",
    ),
    "slack.home_case": ("*案例 #{case_id}* · {where} · {environment}", "*Case #{case_id}* · {where} · {environment}"),
    "slack.home_dm": ("与我的私信", "direct messages with me"),
    "slack.home_stage": ("{icon} {stage} — {state}", "{icon} {stage} — {state}"),
    "slack.home_next": ("下一步：{question}", "Next: {question}"),
    "slack.home_waiting": ("⏳ 等待腾讯：{question}", "⏳ Waiting on Tencent: {question}"),
    "slack.home_done": ("🎉 四个步骤都已完成。", "🎉 All four stages are done."),
    "slack.home_updated": ("最近更新 {when}（北京时间）", "Last change {when} (Beijing time)"),
    "slack.home_more": ("只显示最近的 {count} 个案例。", "Showing the {count} most recent cases."),
}
