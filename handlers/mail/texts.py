# ruff: noqa: E501
# A table of sentences: wrapping them would only hurt reading them.
"""What the mailbox watcher says: findings from Tencent's emails, admin notices, click answers.

Registered in ``handlers.catalogue.SOURCES``; keys start with ``mail.``.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # -- a finding in the case's conversation ---------------------------------------------
    "mail.finding.title": (
        "📬 腾讯电子签来信了（案例 #{case_id}）。我读了一遍，但要等你们确认后才会记录：",
        "📬 An email from Tencent E-Sign arrived for case #{case_id}. I have read it, but nothing is recorded until one of you confirms:",
    ),
    "mail.subject": ("主题：{subject}", "Subject: {subject}"),
    "mail.from": ("发件人：{sender} · {date}", "From: {sender} · {date}"),
    "mail.attachments": ("附件：{names}", "Attachments: {names}"),
    "mail.evidence": ("让我这样判断的原文：", "The lines that decided it:"),
    "mail.proposal.realname.approved": (
        "我的理解：补充实名认证审核已通过。",
        "What it seems to say: the supplementary real-name verification was approved.",
    ),
    "mail.proposal.realname.rejected": (
        "我的理解：补充实名认证被驳回，原因：{reason}",
        "What it seems to say: the supplementary real-name verification was rejected. Reason: {reason}",
    ),
    "mail.proposal.app.approved": (
        "我的理解：应用号申请已通过，应用号是 {app_id}（确认后会记为本案例的应用号）。",
        "What it seems to say: the app-ID application was approved, and the app ID is {app_id} (confirming stores it as this case's app ID).",
    ),
    "mail.proposal.app.rejected": (
        "我的理解：应用号申请被驳回，原因：{reason}",
        "What it seems to say: the app-ID application was rejected. Reason: {reason}",
    ),
    "mail.proposal.app.no_id": (
        "我的理解：应用号申请已通过，但邮件里没有找到唯一一个 32 位的应用号，请打开原邮件查看。",
        "What it seems to say: the app-ID application was approved, but I could not find exactly one 32-character app ID in it; please open the email itself.",
    ),
    "mail.proposal.unknown": (
        "这封邮件的结论我没能确定（是实名结果还是应用号、通过还是驳回），请打开原邮件看一下。",
        "I could not tell for sure what this email decides (real-name result or app ID, approved or rejected); please open the email itself.",
    ),
    "mail.no_reason": ("邮件里没有写明", "not stated in the email"),
    "mail.matched_by": ("为什么认为是这个案例：{reasons}", "Why I think it is this case: {reasons}"),
    "mail.match.reply": ("它回复的是机器人为本案例发出的邮件", "it replies to the email the bot sent for this case"),
    "mail.finding.ask": (
        "如果没错，请点「确认并记录」——效果和输入「{command}」完全一样，会通知大家；不是你们的邮件就点「不是这个案例」。",
        "If this is right, choose \"Confirm and record\" — exactly the same as typing \"{command}\", and everyone is notified. If it is not yours, choose \"Not this case\".",
    ),
    "mail.finding.ask_typed": (
        "我没法替你们记录这一封。读过原邮件后，可以输入「review realname approved」、「review realname rejected 原因」、「review app approved 应用号」或「review app rejected 原因」来记录。",
        "I cannot record this one for you. After reading the email, type \"review realname approved\", \"review realname rejected <reason>\", \"review app approved <app ID>\" or \"review app rejected <reason>\" to record it.",
    ),
    "mail.choice.confirm": ("确认并记录", "Confirm and record"),
    "mail.choice.dismiss": ("不是这个案例 / 忽略", "Not this case / ignore"),
    # -- answers to a click -----------------------------------------------------------------
    "mail.confirmed": (
        "好的，已按第 {finding_id} 封邮件记录（{command}）。",
        "Done: recorded from email #{finding_id} ({command}).",
    ),
    "mail.confirm_failed": (
        "这封邮件的结果还没有记录，它会一直留着等你们处理。可以处理好上面的问题后再点一次确认，或者直接输入：{command}",
        "Nothing from this email was recorded yet; it stays open for you. Fix what is said above and confirm again, or type: {command}",
    ),
    "mail.dismissed": (
        "好的，第 {finding_id} 封邮件已忽略，什么也没有记录。",
        "Fine: email #{finding_id} is set aside and nothing was recorded.",
    ),
    "mail.assigned": (
        "好的，第 {finding_id} 封邮件已交给案例 #{case_id}，马上会发到那个案例的会话里，由那边的同事确认。",
        "Done: email #{finding_id} now belongs to case #{case_id}; it will be posted in that case's conversation shortly for the team there to confirm.",
    ),
    "mail.err.unknown": (
        "这个按钮对应的邮件找不到了或已经过时，什么也没有改变。",
        "That button belongs to an email I no longer know or to an old message; nothing was changed.",
    ),
    "mail.err.already_confirmed": (
        "这封邮件已经由 {who} 在 {when} 确认并记录过了，不会重复记录。",
        "This email was already confirmed and recorded by {who} at {when}; it is not recorded twice.",
    ),
    "mail.err.already_dismissed": (
        "这封邮件已经由 {who} 在 {when} 忽略了，什么也没有记录。需要的话可以直接输入 review 命令。",
        "This email was already set aside by {who} at {when}, so nothing was recorded. If you need it, type the review command yourself.",
    ),
    "mail.err.already_assigned": (
        "这封邮件已经交给案例 #{case_id} 了。",
        "This email has already been given to case #{case_id}.",
    ),
    "mail.err.other_case": (
        "这封邮件属于另一个案例，只能在那个案例的会话里确认或忽略。",
        "This email belongs to another case; it can only be confirmed or set aside in that case's conversation.",
    ),
    "mail.err.not_for_here": (
        "这封邮件要由收到提醒的管理员处理，这里不能替它做决定。",
        "This email is for the admins who were notified about it; it cannot be decided from here.",
    ),
    "mail.err.cannot_confirm": (
        "这封邮件的结论不够明确，我没法替你们记录。请读原邮件后输入 review 命令。",
        "This email does not say clearly enough what was decided, so I cannot record it for you. Read the email and type the review command.",
    ),
    # -- admin notices ----------------------------------------------------------------------
    "mail.notice.unmatched": (
        "📮 管理员请注意：邮箱 {mailbox} 收到一封腾讯电子签的邮件，但它对不上任何进行中的案例，所以我没有猜它属于谁：",
        "📮 For admins: a Tencent E-Sign email arrived in {mailbox}, but it matches no open case, so I did not guess whose it is:",
    ),
    "mail.notice.unmatched_hint": (
        "如果它属于某个案例，请那个团队在自己的会话里输入：{command}",
        "If it belongs to a case, the team can record it in their own conversation by typing: {command}",
    ),
    "mail.notice.ambiguous": (
        "📮 管理员请注意：邮箱 {mailbox} 收到一封腾讯电子签的邮件，它同时对得上好几个案例，我不替你们猜：",
        "📮 For admins: a Tencent E-Sign email arrived in {mailbox} that matches more than one case, so I am not guessing:",
    ),
    "mail.notice.candidates": ("可能是这些案例：", "It could be one of these cases:"),
    "mail.notice.ambiguous_hint": (
        "请选出它属于哪个案例，我会把它发到那个案例的会话里，由那边的同事确认。",
        "Choose the case it belongs to, and I will post it in that case's conversation for the team there to confirm.",
    ),
    "mail.case_label": (
        "案例 #{case_id} · {name} · {environment} · {conversation}",
        "case #{case_id} · {name} · {environment} · {conversation}",
    ),
    "mail.choice.assign": ("属于案例 #{case_id}", "It is case #{case_id}"),
    "mail.choice.dismiss_all": ("都不是 / 忽略", "None of them / ignore"),
    "mail.command_placeholder": (
        "review realname|app approved|rejected [原因或应用号]",
        "review realname|app approved|rejected [reason or app ID]",
    ),
    "mail.notice.login_failed": (
        "⚠️ 管理员请注意：邮箱 {mailbox} 拒绝了登录（服务器说：{detail}）。请检查 ESIGNBOT_IMAP_USER 和 ESIGNBOT_IMAP_PASSWORD。我会自动重试，间隔越来越长；机器人其他功能照常，只是暂时读不到腾讯的邮件。这个问题只提醒这一次。",
        "⚠️ For admins: the mailbox {mailbox} refused the login (the server said: {detail}). Please check ESIGNBOT_IMAP_USER and ESIGNBOT_IMAP_PASSWORD. I keep retrying, less and less often; everything else works as usual, I just cannot read Tencent's emails meanwhile. I will not repeat this notice.",
    ),
    "mail.notice.unreachable": (
        "⚠️ 管理员请注意：连不上邮箱 {mailbox}（{detail}）。请检查 ESIGNBOT_IMAP_HOST、端口和加密方式。我会自动重试，间隔越来越长；机器人其他功能照常，只是暂时读不到腾讯的邮件。这个问题只提醒这一次。",
        "⚠️ For admins: I cannot reach the mailbox {mailbox} ({detail}). Please check ESIGNBOT_IMAP_HOST, the port and the security setting. I keep retrying, less and less often; everything else works as usual, I just cannot read Tencent's emails meanwhile. I will not repeat this notice.",
    ),
    "mail.notice.recovered": (
        "✅ 邮箱 {mailbox} 又能正常读取了（问题自 {detail} 开始）。期间到达的邮件现在会补读。",
        "✅ The mailbox {mailbox} can be read again (the trouble began at {detail}). Emails that arrived meanwhile are being read now.",
    ),
}
