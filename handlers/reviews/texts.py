# ruff: noqa: E501
# A table of sentences: wrapping them would only hurt reading them.
"""Sentences for waits, review results, reminders and the wait part of ``status``.

Registered in ``handlers.catalogue.SOURCES``; every key starts with ``reviews.``.
"""

from __future__ import annotations

CONTACT = "e-contract@tencent.com"

TEXTS: dict[str, tuple[str, str]] = {
    # -- the three waits ------------------------------------------------------------------
    "reviews.kind.transfer": ("对公打款认证", "bank-transfer verification"),
    "reviews.kind.realname": ("补充实名认证审核", "supplementary real-name review"),
    "reviews.kind.app": ("应用号资质审核", "app-ID qualification review"),
    "reviews.state.waiting": ("等待中", "waiting"),
    "reviews.state.overdue": ("已超期", "overdue"),
    "reviews.state.approved": ("通过", "approved"),
    "reviews.state.rejected": ("驳回", "rejected"),
    "reviews.state.withdrawn": ("已撤回", "withdrawn"),
    # The word for each wait in a ``review`` command, as a person of that language types it.
    "reviews.word.transfer": ("打款", "transfer"),
    "reviews.word.realname": ("实名", "realname"),
    "reviews.word.app": ("应用号", "app"),
    "reviews.reason.ask": (
        "腾讯驳回「{wait}」的原因是什么？把驳回邮件里的原因发给我，我会写进给团队的通知里；邮件没写原因请回复「无」。",
        "What reason did Tencent give for rejecting the {wait}? Send me the reason from the rejection email and I will put it in the team's announcement; reply 'none' if the email gives none.",
    ),
    # -- dates ----------------------------------------------------------------------------
    "reviews.weekday.0": ("周一", "Mon"),
    "reviews.weekday.1": ("周二", "Tue"),
    "reviews.weekday.2": ("周三", "Wed"),
    "reviews.weekday.3": ("周四", "Thu"),
    "reviews.weekday.4": ("周五", "Fri"),
    "reviews.weekday.5": ("周六", "Sat"),
    "reviews.weekday.6": ("周日", "Sun"),
    "reviews.day": ("{date}（{weekday}）", "{date} ({weekday})"),
    "reviews.day_makeup": ("{date}（{weekday}，调休上班）", "{date} ({weekday}, a make-up working day)"),
    "reviews.estimate_note": (
        "⚠️ 日历里还没有 {years} 年的正式节假日安排，这几天按法定节日规则估算（调休上班日未知），实际日期可能有出入。",
        "⚠️ The holiday calendar has no official schedule for {years} yet, so those days are estimated from the statutory holidays (make-up working days are unknown); the real date may differ.",
    ),
    "reviews.calendar_uncovered": (
        "📅 管理员请注意：工作日日历还没有 {year} 年的正式节假日安排，{year} 年的到期日和提醒只能按法定节日规则估算（调休上班日未知）。国务院办公厅公布安排后，请把它写入 ESIGNBOT_HOLIDAYS 文件（格式见 esignbot guide reviews）或升级 chinese-calendar，然后重启机器人；`esignbot doctor` 可查看覆盖情况。",
        "📅 For admins: the working-day calendar has no official holiday schedule for {year} yet, so due dates and reminders in {year} can only be estimated from the statutory holidays (make-up working days unknown). Once the State Council publishes it, write it into the ESIGNBOT_HOLIDAYS file (format: esignbot guide reviews) or upgrade chinese-calendar, then restart the bot; `esignbot doctor` shows what is covered.",
    ),
    "reviews.undelivered": (
        "⚠️ 管理员请注意：发往会话 {conversation} 的一条消息（案例 #{case_id}，消息 #{message_id}）尝试 {attempts} 次仍未送达（{error}），不会再发送。请检查机器人在该平台的权限和设置；消息仍保存在数据库的 outbox 表中。",
        "⚠️ For admins: a message for conversation {conversation} (case #{case_id}, message #{message_id}) was not delivered after {attempts} attempts ({error}) and will not be tried again. Check the bot's access and settings on that platform; the message stays in the database's outbox table.",
    ),
    "reviews.duration_unstated": (
        "接入指南没有写明这项审核的时长，我按 {days} 个工作日估算。",
        "The onboarding guide states no duration for this review; I count {days} working days.",
    ),
    # -- a wait starts --------------------------------------------------------------------
    "reviews.started": (
        "⏳ 已开始跟踪「{wait}」：{start} 开始，按 {days} 个工作日（法定节假日不算，调休上班日算）计，预计 {due}前出结果。超期后我会在工作日 9:00–18:00（北京时间）每天提醒一次。收到结果后回复：审核 {kind} 通过，或 审核 {kind} 驳回 原因。",
        "⏳ Now tracking the {wait}: started {start}; {days} working days (public holidays excluded, make-up working days included) bring the result by {due}. If it is late I will remind you once each working day between 9:00 and 18:00 Beijing time. When the result arrives, reply: review {kind} approved, or review {kind} rejected <reason>.",
    ),
    # -- the review command ---------------------------------------------------------------
    "reviews.usage": (
        "用法：审核 <打款|实名|应用号> <通过|驳回> [原因或应用号]\n"
        "· 打款 = 对公打款认证，实名 = 补充实名认证，应用号 = 应用号资质审核\n"
        "例如：审核 实名 驳回 营业执照照片不清晰；审核 应用号 通过 <32 位应用号>",
        "Usage: review <transfer|realname|app> <approved|rejected> [reason or app ID]\n"
        "· transfer = bank-transfer verification, realname = supplementary real-name review, app = app-ID review\n"
        "For example: review realname rejected the licence photo is blurred; review app approved <32-character app ID>",
    ),
    "reviews.err.kind": (
        "「{word}」不是可以记录结果的审核。可选：打款（对公打款认证）、实名（补充实名认证）、应用号（应用号资质审核）。",
        "'{word}' is not a review I can record. Choose transfer (bank-transfer verification), realname (supplementary real-name review) or app (app ID).",
    ),
    "reviews.err.verdict": (
        "「{word}」不是审核结果。请写「通过」或「驳回」。",
        "'{word}' is not a review result. Write approved or rejected.",
    ),
    "reviews.err.not_admin": (
        "只有管理员可以记录审核结果，什么也没有改变。请让管理员来记录，或请机器人的维护者把你的用户 ID（{user}）加入 ESIGNBOT_ADMINS。",
        "Only admins may record review results; nothing was changed. Ask an admin to record it, or ask whoever runs the bot to add your user ID ({user}) to ESIGNBOT_ADMINS.",
    ),
    "reviews.err.not_yet": (
        "这个案例还没走到「{wait}」：请先回答「{fields}」。",
        "This case has not reached the {wait} yet: answer '{fields}' first.",
    ),
    "reviews.err.not_applicable": (
        "「{wait}」不适用于这个案例（根据「{fields}」的回答）。需要的话先用「修改」更正那个回答。",
        "The {wait} does not apply to this case (because of the answer to '{fields}'). If that answer is wrong, correct it with 'edit' first.",
    ),
    "reviews.err.app_id_needed": (
        "记录应用号审核通过时，请附上邮件里的应用号：审核 应用号 通过 <32 位应用号>",
        "To record the app-ID review as approved, add the app ID from the email: review app approved <32-character app ID>",
    ),
    "reviews.err.reason_too_long": (
        "原因太长：{length} 个字符，最多 {max} 个。请写要点，什么也没有改变。",
        "The reason is too long: {length} characters, at most {max}. Please keep to the point; nothing was changed.",
    ),
    "reviews.err.reason_chars": (
        "原因里有控制字符，请只输入可见文字。",
        "The reason contains control characters; please type visible text only.",
    ),
    "reviews.already": (
        "「{wait}」已于 {when} 由 {who} 记录为「{state}」，这次没有改变任何内容。",
        "The {wait} was already recorded as {state} by {who} on {when}; nothing was changed.",
    ),
    "reviews.recorded": (
        "✔ 已记录「{wait}」：{state}。我会在本对话通知 {creator}。",
        "✔ Recorded the {wait}: {state}. I will announce it to {creator} in this conversation.",
    ),
    # -- result notices (the mention is put in front by the adapter's dispatcher) ---------
    "reviews.notice.recorded_by": ("（{who} 于 {when} 记录）", "(recorded by {who} on {when})"),
    "reviews.notice.approved.transfer": (
        "📣 对公打款认证已完成{recorded}。\n下一步：告诉我腾讯云主账号的 UIN 和企业名称，然后进入第 2 步：在腾讯电子签完成补充实名认证（线上或线下，审核 1–3 个工作日）。",
        "📣 The bank-transfer verification is complete {recorded}.\nNext: tell me the Tencent Cloud main account's UIN and the enterprise name, then stage 2: the supplementary real-name verification at E-Sign (online or offline, reviewed in 1–3 working days).",
    ),
    "reviews.notice.approved.realname": (
        "📣 补充实名认证审核已通过{recorded}。\n下一步：第 3 步，应用号：在电子签控制台 应用集成 中自助创建（几分钟），或按指引用 Excel 邮件申请（发到 " + CONTACT + "，等待资质审核）。我会收集应用名称、应用类型和应用简介（100 字以内）。",
        "📣 The supplementary real-name review is approved {recorded}.\nNext: stage 3, the app ID: created in the E-Sign console's 应用集成 in minutes, or applied for as the guide says with an Excel file emailed to " + CONTACT + " and a qualification review. I will collect the app name, type and description (at most 100 characters).",
    ),
    "reviews.notice.approved.app": (
        "📣 应用号资质审核已通过，应用号：{app_id}{recorded}。\n下一步：第 4 步，用主账号或绑定了 QcloudESSBASICFullAccess 策略的子账号创建 API 密钥（SecretId / SecretKey）。",
        "📣 The app-ID qualification review is approved; the app ID is {app_id} {recorded}.\nNext: stage 4, create the API keys (SecretId / SecretKey) with the main account or a sub-account holding QcloudESSBASICFullAccess.",
    ),
    "reviews.notice.approved.app_no_id": (
        "📣 应用号资质审核已通过{recorded}。\n下一步：把审核邮件里的 32 位应用号发给我，然后进入第 4 步：创建 API 密钥（SecretId / SecretKey）。",
        "📣 The app-ID qualification review is approved {recorded}.\nNext: send me the 32-character app ID from the approval email, then stage 4: create the API keys (SecretId / SecretKey).",
    ),
    "reviews.notice.rejected.transfer": (
        "📣 对公打款认证没有通过{recorded}。\n原因：{reason}\n怎么改：核对对公账户名、开户银行、银行所在地和开户支行，在腾讯云控制台 > 账号信息 > 基本信息 > 认证状态 中重新提交企业对公打款认证。⚠️ 校验金额时连续输错两次就会失败，填写前请先和财务核对到账金额。\n重新提交后，在对公打款认证的问题里回复「已提交，等待打款」，我会重新开始计时。",
        "📣 The bank-transfer verification did not pass {recorded}.\nReason: {reason}\nWhat to fix: check the account name, bank, bank location and branch, then submit the enterprise bank-transfer verification again in the Tencent Cloud console > 账号信息 > 基本信息 > 认证状态. ⚠️ Two wrong amounts in a row fail the verification: confirm the amount received with your finance team before typing it.\nAfter resubmitting, answer 'submitted, waiting for the transfer' to the bank-transfer question and I will start counting again.",
    ),
    "reviews.notice.rejected.realname": (
        "📣 补充实名认证审核被驳回{recorded}。\n原因：{reason}\n怎么改：按驳回原因更正材料（用「修改 字段 新值」，例如：修改 组织邮箱 ops@example.com），再重新提交：线上在腾讯电子签官网 > 企业信息 中提交，线下把材料重新发到 " + CONTACT + "。\n重新提交后回复「已提交，等待审核」，我会重新开始计时。",
        "📣 The supplementary real-name review was rejected {recorded}.\nReason: {reason}\nWhat to fix: correct the materials the reason names (with 'edit <field> <value>', e.g. edit org_email ops@example.com), then resubmit: online at the E-Sign site > 企业信息, offline by emailing the materials again to " + CONTACT + ".\nAfter resubmitting, reply 'submitted, waiting for the review' and I will start counting again.",
    ),
    "reviews.notice.rejected.app": (
        "📣 应用号资质审核被驳回{recorded}。\n原因：{reason}\n怎么改：按驳回原因更正申请信息（例如：修改 应用简介 新的简介），重新生成申请表，再发邮件到 " + CONTACT + "。\n重新发送后回复「已发送，等待审核」，我会重新开始计时。",
        "📣 The app-ID qualification review was rejected {recorded}.\nReason: {reason}\nWhat to fix: correct the application as the reason says (e.g. edit app_description <new description>), build the application form again and email it to " + CONTACT + ".\nAfter sending it again, reply 'sent, waiting for the review' and I will start counting again.",
    ),
    "reviews.notice.no_reason": ("未记录，请查看审核结果邮件", "not recorded; see the result email"),
    "reviews.notice.contact": ("有疑问可联系 " + CONTACT + "。", "Questions: " + CONTACT + "."),
    # -- reminders ------------------------------------------------------------------------
    "reviews.reminder": (
        "⏰ 「{wait}」已超期：{start} 开始，原定 {due}前出结果，现在已晚了 {late} 个工作日。\n{advice}\n收到结果后回复：审核 {kind} 通过，或 审核 {kind} 驳回 原因。如果迟迟没有结果，请联系 " + CONTACT + " 询问进度。",
        "⏰ The {wait} is late: started {start}, due by {due}, now {late} working day(s) late.\n{advice}\nWhen the result arrives, reply: review {kind} approved, or review {kind} rejected <reason>. If nothing arrives, ask " + CONTACT + " where it stands.",
    ),
    "reviews.reminder.advice.transfer": (
        "请让财务查看对公账户是否收到 0.01–0.99 元的打款；到账后在控制台 > 账号信息 > 企业实名认证 >「我已收到打款，开始校验」中填写准确金额（连续输错两次即失败）。",
        "Ask your finance team whether the company account has received a transfer of 0.01–0.99 CNY; once it has, enter the exact amount in the console > 账号信息 > 企业实名认证 > 我已收到打款，开始校验 (two wrong amounts in a row fail the verification).",
    ),
    "reviews.reminder.advice.realname": (
        "结果会发到组织邮箱，请查看收件箱和垃圾邮件。",
        "The result comes by email to the organisation's address; check the inbox and the spam folder.",
    ),
    "reviews.reminder.advice.app": (
        "应用号会回复到发送申请的邮箱，请查看收件箱和垃圾邮件。",
        "The app ID comes as a reply to the application email; check the inbox and the spam folder.",
    ),
    # -- status ---------------------------------------------------------------------------
    "reviews.status.title": ("等待与审核：", "Waits and reviews:"),
    "reviews.status.open": (
        "    {icon} {wait}：{start} 开始，预计 {due}前出结果 — {left}",
        "    {icon} {wait}: started {start}, due by {due} — {left}",
    ),
    "reviews.status.left": ("还剩 {count} 个工作日", "{count} working day(s) left"),
    "reviews.status.due_today": ("今天到期", "due today"),
    "reviews.status.overdue": ("已超期 {count} 个工作日", "overdue by {count} working day(s)"),
    "reviews.status.overdue_today": ("已过期，今天不是工作日", "past due (today is not a working day)"),
    "reviews.status.ended": (
        "    {icon} {wait}：{state}（{who}，{when}）{reason}",
        "    {icon} {wait}: {state} ({who}, {when}){reason}",
    ),
    "reviews.status.reason": ("；原因：{reason}", "; reason: {reason}"),
    "reviews.status.all_title": (
        "全部 {count} 个案例（最久没有动静的在前）：",
        "All {count} cases (longest quiet first):",
    ),
    "reviews.status.all_case": (
        "#{case_id} · {name} · {environment} · {stage} · 最近活动 {last}",
        "#{case_id} · {name} · {environment} · {stage} · last activity {last}",
    ),
    "reviews.status.all_no_name": ("（尚无企业名称）", "(no name yet)"),
    "reviews.status.all_no_environment": ("（未选环境）", "(no environment yet)"),
    "reviews.status.all_wait": (
        "{wait}：{due} 到期，{left}",
        "{wait}: due {due}, {left}",
    ),
    "reviews.status.all_stage": ("第 {stage} 步（{state}）", "stage {stage} ({state})"),
    "reviews.status.all_done": ("已完成", "complete"),
    "reviews.status.all_cancelled": ("已取消", "cancelled"),
    "reviews.status.all_no_waits": ("    没有进行中的等待", "    no pending waits"),
    "reviews.status.all_more": ("……还有 {count} 个案例没有列出。", "… and {count} more cases not listed."),
    "reviews.status.all_empty": ("还没有任何案例。", "There are no cases yet."),
    "reviews.err.status_usage": (
        "「状态」后面不需要参数；要查看所有案例（仅管理员），请写「状态 全部」。",
        "'status' needs nothing after it; to see every case (admins only), write 'status all'.",
    ),
    "reviews.err.status_all_admins": (
        "「状态 全部」会列出所有团队的案例，只对管理员开放。请机器人的维护者在 ESIGNBOT_ADMINS 中加入管理员的用户 ID（你的是 {user}）。",
        "'status all' lists every team's cases, so it is for admins only. Ask whoever runs the bot to put admins' user IDs in ESIGNBOT_ADMINS (yours is {user}).",
    ),
}
