# ruff: noqa: E501
"""Sentences of the application workbook, the offline materials package and the email.

The email itself and the names inside the files are read by Tencent's reviewers, so they are
always taken in Chinese (``t(key, "zh")``); their English twins keep the catalogue complete and
let an English-speaking team read what the bot would send.
"""

from __future__ import annotations

CONTACT = "e-contract@tencent.com"
"""Tencent E-Sign's address for both submissions (kept here: the catalogue imports this module)."""

TEXTS: dict[str, tuple[str, str]] = {
    # -- the workbook -----------------------------------------------------------------------
    "files.workbook_ready": (
        "这是电子签应用号申请表：{name}。请把它作为附件发到 " + CONTACT + "。",
        "Here is the E-Sign app-ID application workbook, {name}. Send it as an attachment to " + CONTACT + ".",
    ),
    "files.workbook_offered": (
        "第 3 步的信息齐了，我已生成应用号申请表：{name}。请把它作为附件发到 " + CONTACT + "。",
        "Stage 3's answers are complete, so I built the app-ID application workbook, {name}. Send it as an attachment to " + CONTACT + ".",
    ),
    "files.email_hint": (
        "也可以输入「邮件」，预览后由我代发。",
        "Or type 'email' to preview it and have me send it.",
    ),
    "files.workbook_changed": (
        "申请表里的信息变了，输入「表格」获取更新后的申请表。",
        "The workbook's information changed; type 'excel' for the updated form.",
    ),
    "files.workbook_missing": (
        "还不能生成申请表，缺少：{fields}。请先回答这些问题（或用「修改 字段 新值」补上）。",
        "The workbook cannot be built yet; missing: {fields}. Answer those questions first (or fill them in with 'edit <field> <value>').",
    ),
    # -- the offline materials -----------------------------------------------------------
    "files.materials_ready": (
        "这是线下补充实名认证材料包：{name}（材料清单和证照照片）。里面有完整的个人信息，请只发给腾讯电子签：" + CONTACT + "，或交给客户经理。",
        "Here is the offline real-name materials package, {name} (the list of materials and the licence image). It holds full personal details: send it only to Tencent E-Sign at " + CONTACT + ", or give it to your account manager.",
    ),
    "files.materials_not_yours": (
        "材料包里有经营者身份证号、联系方式等完整个人信息，只交给填写这些信息的成员（{who}）或本工作区的管理员（ESIGNBOT_ADMINS）。请让他们输入「材料」获取。",
        "The materials package holds personal details in full (the operator's resident ID, the contact phone), so it goes only to the member who gave them ({who}) or an admin of this workspace (ESIGNBOT_ADMINS). Ask one of them to type 'materials'.",
    ),
    "files.materials_missing": (
        "还不能打包线下材料，缺少：{fields}。",
        "The materials package cannot be built yet; missing: {fields}.",
    ),
    "files.materials_online": (
        "你们选择的是线上补充实名认证，不需要线下材料：登录腾讯电子签官网，在「企业信息」里填写提交即可。",
        "You chose the online real-name route, which needs no offline materials: fill them in under 企业信息 on the E-Sign site.",
    ),
    "files.materials_no_route": (
        "线下材料只用于线下补充实名认证，你们还没有选择认证方式。",
        "Offline materials are only for the offline real-name route, and no route has been chosen yet.",
    ),
    "files.unavailable": (
        "这里没有配置生成文件的功能，请联系部署 esignbot 的同事。",
        "Building files is not set up here; ask whoever runs esignbot.",
    ),
    # -- email: configuration, preview, confirmation -------------------------------------
    "files.mail_not_configured": (
        "还没有配置发信邮箱，所以不能代发。请在环境变量或 .env 中设置后重启 esignbot：\n"
        "ESIGNBOT_SMTP_HOST — 发信服务器，例如 smtp.exmail.qq.com（必填）\n"
        "ESIGNBOT_SMTP_PORT — 端口（默认 ssl 465、starttls 587、none 25）\n"
        "ESIGNBOT_SMTP_USER / ESIGNBOT_SMTP_PASSWORD — 登录账号和密码（或授权码）\n"
        "ESIGNBOT_SMTP_FROM — 发件人地址（默认与 ESIGNBOT_SMTP_USER 相同）\n"
        "ESIGNBOT_SMTP_SECURITY — ssl、starttls 或 none（默认 ssl）\n"
        "在此之前，可以输入「表格」取得申请表，自己发到 " + CONTACT + "。",
        "No sending mailbox is configured, so I cannot send it for you. Set these in the environment or .env, then restart esignbot:\n"
        "ESIGNBOT_SMTP_HOST — the SMTP server, e.g. smtp.exmail.qq.com (required)\n"
        "ESIGNBOT_SMTP_PORT — the port (default 465 for ssl, 587 for starttls, 25 for none)\n"
        "ESIGNBOT_SMTP_USER / ESIGNBOT_SMTP_PASSWORD — the login and its password (or app password)\n"
        "ESIGNBOT_SMTP_FROM — the sender address (default: ESIGNBOT_SMTP_USER)\n"
        "ESIGNBOT_SMTP_SECURITY — ssl, starttls or none (default ssl)\n"
        "Meanwhile, type 'excel' for the workbook and send it to " + CONTACT + " yourself.",
    ),
    "files.mail_nothing": (
        "还没有可以发送的附件。{reasons}",
        "There is nothing to attach yet. {reasons}",
    ),
    "files.mail_preview": (
        "请确认这封邮件：\n发件人：{sender}\n收件人：{to}\n主题：{subject}\n附件：\n{attachments}\n正文：\n{body}",
        "Please check this email:\nFrom: {sender}\nTo: {to}\nSubject: {subject}\nAttachments:\n{attachments}\nBody:\n{body}",
    ),
    "files.mail_attachment": ("· {name}（{size} KB）", "· {name} ({size} KB)"),
    "files.mail_without_materials": (
        "线下材料还不齐，这次不附材料包（缺少：{fields}）。",
        "The offline materials are incomplete, so the package is not attached this time (missing: {fields}).",
    ),
    "files.mail_confirm": ("确认发送吗？", "Send it?"),
    "files.mail_without_workbook": (
        "这次不附应用号申请表（还缺：{fields}），只附线下材料包。",
        "The app-ID workbook is not attached this time (still missing: {fields}); the email carries the offline materials only.",
    ),
    "files.mail_no_sender": ("（你们自己的邮箱）", "(your own mailbox)"),
    "files.opt.send": ("发送", "Send"),
    "files.opt.dont_send": ("不发送", "Don't send"),
    "files.mail_kept": ("好的，邮件没有发送。", "OK, the email was not sent."),
    "files.mail_sending": ("正在发送到 {to}……", "Sending to {to}…"),
    "files.mail_sent": (
        "邮件已发送到 {to}（{attachments}）。Message-ID：{message_id}\n如需查询，可把这个 Message-ID 提供给腾讯电子签。",
        "The email was sent to {to} ({attachments}). Message-ID: {message_id}\nQuote this Message-ID to Tencent E-Sign if you need to follow up.",
    ),
    "files.mail_unrecorded": (
        "但这次发送没能记到案例里（数据库出错），请自己记下上面的 Message-ID，不要重复发送。",
        "But the send could not be recorded in the case (a database error); note the Message-ID above and do not send it again.",
    ),
    "files.mail_interrupted": (
        "上次发送邮件到 {to} 时 esignbot 中断了，无法确定邮件是否已经发出，所以没有再发一次。请在发件邮箱的「已发送」里查看，或问腾讯电子签是否收到；确认没有发出后，再输入「邮件」重新发送。",
        "esignbot stopped while sending the email to {to}, so it cannot tell whether the email left, and did not send it again. Look in the sending mailbox's Sent folder, or ask Tencent E-Sign whether it arrived; if it did not, type 'email' to send it again.",
    ),
    "files.mail_retry": (
        "没有记录任何发送。检查设置后输入「邮件」重试。",
        "Nothing was recorded. Check the settings and type 'email' to try again.",
    ),
    "files.mail_err.connect": ("发送失败：连不上邮件服务器 {server}（{detail}）。", "Sending failed: could not reach the mail server {server} ({detail})."),
    "files.mail_err.timeout": ("发送失败：邮件服务器 {server} 没有及时响应。", "Sending failed: the mail server {server} did not answer in time."),
    "files.mail_err.tls": ("发送失败：和 {server} 建立加密连接没有成功（{detail}），请检查 ESIGNBOT_SMTP_SECURITY 和端口。", "Sending failed: no encrypted connection to {server} ({detail}); check ESIGNBOT_SMTP_SECURITY and the port."),
    "files.mail_err.auth": ("发送失败：邮件服务器拒绝了登录（{detail}），请检查 ESIGNBOT_SMTP_USER 和 ESIGNBOT_SMTP_PASSWORD。", "Sending failed: the mail server refused the login ({detail}); check ESIGNBOT_SMTP_USER and ESIGNBOT_SMTP_PASSWORD."),
    "files.mail_err.auth_unsupported": ("发送失败：邮件服务器 {server} 不支持登录，请去掉 ESIGNBOT_SMTP_USER 或换用 ssl/starttls。", "Sending failed: the mail server {server} offers no login; remove ESIGNBOT_SMTP_USER or use ssl/starttls."),
    "files.mail_err.insecure": ("没有发送：不会把密码以明文发给 {server}，请把 ESIGNBOT_SMTP_SECURITY 设为 ssl 或 starttls。", "Not sent: I will not send the password unencrypted to {server}; set ESIGNBOT_SMTP_SECURITY to ssl or starttls."),
    "files.mail_err.sender_refused": ("发送失败：邮件服务器不接受发件人地址（{detail}），请检查 ESIGNBOT_SMTP_FROM。", "Sending failed: the mail server refused the sender address ({detail}); check ESIGNBOT_SMTP_FROM."),
    "files.mail_err.recipient_refused": ("发送失败：邮件服务器不接受收件人地址（{detail}）。", "Sending failed: the mail server refused the recipient ({detail})."),
    "files.mail_err.rejected": ("发送失败：邮件服务器拒收了这封邮件（{detail}），可能是附件太大。", "Sending failed: the mail server rejected the message ({detail}); the attachments may be too large."),
    "files.mail_err.protocol": ("发送失败：邮件服务器返回了错误（{detail}）。", "Sending failed: the mail server answered with an error ({detail})."),
    "files.mail_history_empty": ("这个案例还没有通过我发送过邮件。", "No email has been sent from this case yet."),
    "files.mail_history_title": ("已发送的邮件：", "Emails sent:"),
    "files.mail_history_line": (
        "{at} {user} → {to}：{subject}（{attachments}）Message-ID {message_id}",
        "{at} {user} → {to}: {subject} ({attachments}) Message-ID {message_id}",
    ),
    "files.mail_usage": (
        "用法：「邮件」预览并发送申请邮件；「邮件 记录」查看已发送的邮件。",
        "Usage: 'email' previews and sends the application email; 'email history' lists the emails sent.",
    ),
    # -- the email to Tencent (always sent in Chinese) -------------------------------------
    "files.mail.subject.app": ("电子签应用号申请 - {enterprise} - UIN {uin} - {app}", "E-Sign app ID application - {enterprise} - UIN {uin} - {app}"),
    "files.mail.subject.materials": ("补充实名认证材料 - {enterprise} - UIN {uin}", "Supplementary real-name materials - {enterprise} - UIN {uin}"),
    "files.mail.subject.both": ("补充实名认证材料及电子签应用号申请 - {enterprise} - UIN {uin} - {app}", "Supplementary real-name materials and E-Sign app ID application - {enterprise} - UIN {uin} - {app}"),
    "files.mail.greeting": ("您好：", "Hello,"),
    "files.mail.intro.materials": (
        "我们是{enterprise}（腾讯云主账号 UIN：{uin}），现提交线下补充实名认证材料（组织类型：{org_type}），材料清单和证照照片见附件。",
        "We are {enterprise} (Tencent Cloud main account UIN: {uin}) and submit the offline supplementary real-name materials (organisation type: {org_type}); the list of materials and the licence image are attached.",
    ),
    "files.mail.intro.app": (
        "我们是{enterprise}（腾讯云主账号 UIN：{uin}），现申请腾讯电子签集成版应用号，申请表见附件：",
        "We are {enterprise} (Tencent Cloud main account UIN: {uin}) and apply for a Tencent E-Sign integration version app ID; the application workbook is attached:",
    ),
    "files.mail.app_lines": (
        "应用名称：{app}\n应用类型：{app_type}\n应用简介：{description}\n白名单接口：{whitelist}",
        "App name: {app}\nApp type: {app_type}\nDescription: {description}\nWhitelist interfaces: {whitelist}",
    ),
    "files.mail.environment": ("环境：{environment}", "Environment: {environment}"),
    "files.mail.reply_to": ("联系邮箱：{email}", "Contact email: {email}"),
    "files.mail.attachments": ("附件：{names}", "Attachments: {names}"),
    "files.mail.closing": (
        "谢谢！\n{enterprise}\n（本邮件由 esignbot 代 {user} 发送）",
        "Thank you.\n{enterprise}\n(sent by esignbot on behalf of {user})",
    ),
    "files.none": ("无", "none"),
    # -- names inside the files ------------------------------------------------------------
    "files.name.workbook": ("电子签应用号申请", "E-Sign app ID application"),
    "files.name.materials": ("补充实名认证材料", "supplementary real-name materials"),
    "files.sheet.application": ("应用号申请", "app ID application"),
    "files.sheet.materials": ("补充实名认证材料", "real-name materials"),
    "files.sheet.item": ("项目", "item"),
    "files.sheet.value": ("内容", "value"),
    "files.image.license_image": ("多合一营业执照", "all-in-one business licence"),
    "files.image.individual_license_image": ("营业执照", "business licence"),
    "files.image.certificate_image": ("证件照片", "certificate"),
    "files.image.org_code_image": ("组织机构代码证或社会团体登记证书", "organisation-code or social-group registration certificate"),
    # -- the licence photo read and checked (the ocr extra, handlers/files/licence_check.py) --
    "files.ocr.title": ("我读了证照照片，和你们的回答核对如下：", "I read the licence photo and checked it against your answers:"),
    "files.ocr.match": ("✓ {label}：{read}", "✓ {label}: {read}"),
    "files.ocr.mismatch": ("✗ {label}：照片上是 {read}，回答是 {answered}", "✗ {label}: the photo says {read}, the answer is {answered}"),
    "files.ocr.unanswered": ("？{label}：照片上是 {read}，还没有回答", "? {label}: the photo says {read}; not answered yet"),
    "files.ocr.other": ("· {label}：照片上是 {read}（这种组织类型不填这一项）", "· {label}: the photo says {read} (not asked for this organisation type)"),
    "files.ocr.all_match": ("都一致，可以继续。", "Everything matches; carry on."),
    "files.ocr.offer_hint": (
        "要采用照片上的值，点下面的按钮，或输入：\n{commands}\n（确认之前什么都不会改。）",
        "To take the photo's value, press a button below or type:\n{commands}\n(Nothing changes until you do.)",
    ),
    "files.ocr.edit_command": ("修改 {field} {value}", "edit {field} {value}"),
    "files.ocr.take": ("采用照片上的{label}", "Take the photo's {label}"),
    "files.ocr.already": ("{label}已经是 {value}。", "{label} is already {value}."),
    "files.ocr.unreadable": (
        "照片可能模糊、被裁切或不是营业执照；腾讯会驳回不清晰的照片——要发一张更清晰的吗？照片已保存，不换也可以继续。要换一张，输入「修改 license_image」再发照片。",
        "The photo may be blurred, cropped or not the licence; Tencent rejects unclear photos — send a sharper one? It is kept, and you can carry on without. To send another, type 'edit license_image', then the photo.",
    ),
    "files.ocr.status_title": ("证照照片（{when} 读取）：", "Licence photo (read {when}):"),
    "files.ocr.status_unreadable": (
        "证照照片（{when} 读取）：没有读到能通过校验的证照号码，照片可能模糊、被裁切或不是营业执照。",
        "Licence photo (read {when}): no code on it passed its check; it may be blurred, cropped or not the licence.",
    ),
    "files.ocr.err.unknown": ("这个按钮对应的照片读取结果不存在。", "That button's photo reading is not on record."),
    "files.ocr.err.stale": (
        "证照照片已经换过了，这个按钮不再适用；请看新照片的核对结果。",
        "The licence photo has been replaced since, so this button no longer applies; see the new photo's check.",
    ),
    "files.ocr.help_on": (
        "上传的证照照片会被读取，并与回答核对（证照号码、名称、法定代表人或经营者）。",
        "Uploaded licence photos are read and checked against your answers (code, name, legal representative or operator).",
    ),
    "files.ocr.help_off": (
        "安装 esignbot[ocr] 后，我会读取上传的证照照片，并与回答核对证照号码、名称和法定代表人。",
        "Install esignbot[ocr] and I will read each uploaded licence photo and check its code, name and legal representative against your answers.",
    ),
}
