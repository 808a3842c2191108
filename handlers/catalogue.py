"""Every sentence a person reads, in Chinese (default) and English.

Why one table: the engine and the adapters pass around keys and parameters, never sentences, so
a translation or a fix of wording is one edit here, and a test can prove that every key exists in
both languages with the same placeholders. Facts (names, limits, console paths) come from
``ONBOARDING.md``; the wording is ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from handlers import (
    texts_admin,
    texts_credentials,
    texts_files,
    texts_mail,
    texts_reviews,
    texts_slack,
    texts_wecom,
)

LANGS: tuple[str, ...] = ("zh", "en")
DEFAULT_LANG = "zh"
CONTACT = "e-contract@tencent.com"

_M: dict[str, tuple[str, str]] = {
    # -- stages ---------------------------------------------------------------------------
    "stage.1": ("第 1 步：腾讯云企业账号与对公打款认证", "Stage 1: Tencent Cloud enterprise account, verified by bank transfer"),
    "stage.2": ("第 2 步：腾讯电子签补充实名认证", "Stage 2: supplementary real-name verification at E-Sign"),
    "stage.3": ("第 3 步：申请应用号与接口白名单", "Stage 3: apply for the app ID and the interface whitelist"),
    "stage.4": ("第 4 步：获取 API 密钥（SecretId / SecretKey）", "Stage 4: API keys (SecretId / SecretKey)"),
    "stage_state.done": ("已完成", "done"),
    "stage_state.current": ("进行中", "current"),
    "stage_state.waiting": ("等待腾讯审核/打款", "waiting on Tencent"),
    "stage_state.pending": ("未开始", "not started"),
    # -- field labels ---------------------------------------------------------------------
    "field.environment": ("环境", "environment"),
    "field.has_verified_account": ("已有完成对公打款认证的企业账号", "verified enterprise account"),
    "field.transfer_status": ("对公打款认证进度", "bank-transfer verification"),
    "field.uin": ("主账号 UIN", "main account UIN"),
    "field.enterprise_name": ("企业名称", "enterprise name"),
    "field.realname_route": ("补充实名方式", "real-name route"),
    "field.org_type": ("组织类型", "organisation type"),
    "field.uscc": ("统一社会信用代码", "unified social credit code"),
    "field.business_reg_no": ("营业执照注册号", "business registration number"),
    "field.cert_type": ("证件类型", "certificate type"),
    "field.cert_number": ("证件号码", "certificate number"),
    "field.org_code": ("组织机构代码", "organisation code"),
    "field.legal_rep": ("法人代表", "legal representative"),
    "field.operator_name": ("经营者姓名", "operator's name"),
    "field.operator_id_number": ("经营者身份证号", "operator's resident ID number"),
    "field.contact_name": ("组织联系人", "organisation contact"),
    "field.contact_phone": ("联系方式", "contact phone"),
    "field.org_email": ("组织邮箱", "organisation email"),
    "field.license_image": ("营业执照/证件照片", "licence or certificate image"),
    "field.realname_status": ("补充实名审核进度", "real-name review"),
    "field.app_name": ("应用名称", "app name"),
    "field.app_type": ("应用类型", "app type"),
    "field.app_description": ("应用简介", "app description"),
    "field.whitelist_interfaces": ("白名单接口", "whitelist interfaces"),
    "field.app_status": ("应用号申请进度", "app ID application"),
    "field.app_id": ("应用号", "app ID"),
    "field.key_owner": ("API 密钥所属账号", "key owner"),
    # -- options --------------------------------------------------------------------------
    "opt.environment.test": ("测试环境（联调）", "test (joint debugging)"),
    "opt.environment.prod": ("正式环境", "production"),
    "opt.has_verified_account.yes": ("是，已完成对公打款认证", "yes, already verified by bank transfer"),
    "opt.has_verified_account.no": ("否，需要注册或认证", "no, we still need to register or verify"),
    "opt.transfer_status.not_started": ("还没提交银行账户信息", "bank details not submitted yet"),
    "opt.transfer_status.waiting": ("已提交，等待打款", "submitted, waiting for the transfer"),
    "opt.transfer_status.verified": ("已收到打款并验证成功", "transfer received and amount verified"),
    "opt.realname_route.online": ("线上：在腾讯电子签官网填写", "online, on the E-Sign website"),
    "opt.realname_route.offline": ("线下：邮件发送材料", "offline, materials sent by email"),
    "opt.org_type.enterprise": ("企业", "enterprise"),
    "opt.org_type.individual": ("个体工商户", "individual business"),
    "opt.org_type.government": ("政府/事业单位", "government / public institution"),
    "opt.org_type.other": ("其他组织", "other organisation"),
    "opt.cert_type.uscc": ("统一社会信用代码证书", "unified social credit code certificate"),
    "opt.cert_type.institution_cert": ("事业单位法人证书", "public institution legal person certificate"),
    "opt.realname_status.not_submitted": ("还没提交", "not submitted yet"),
    "opt.realname_status.submitted": ("已提交，等待审核", "submitted, waiting for the review"),
    "opt.realname_status.approved": ("审核通过", "approved"),
    "opt.realname_status.rejected": ("被驳回", "rejected"),
    "opt.app_type.PC Web": ("PC Web", "PC Web"),
    "opt.app_type.APP(IOS)": ("APP(IOS)", "APP(IOS)"),
    "opt.app_type.APP(Android)": ("APP(Android)", "APP(Android)"),
    "opt.app_type.微信小程序": ("微信小程序", "WeChat Mini Program (微信小程序)"),
    "opt.app_type.H5": ("H5", "H5"),
    "opt.app_type.其他": ("其他", "Other (其他)"),
    "opt.whitelist_interfaces.VerifyUser": ("VerifyUser", "VerifyUser"),
    "opt.whitelist_interfaces.CreateUserAndSeal": ("CreateUserAndSeal", "CreateUserAndSeal"),
    "opt.whitelist_interfaces.VerifySubOrganization": ("VerifySubOrganization", "VerifySubOrganization"),
    "opt.whitelist_interfaces.CreateSubOrganizationAndSeal": ("CreateSubOrganizationAndSeal", "CreateSubOrganizationAndSeal"),
    "opt.whitelist_interfaces.CreateServerFlowSign": ("CreateServerFlowSign", "CreateServerFlowSign"),
    "opt.whitelist_interfaces.FaceVerification": ("人脸核身（SDK 或 H5，需提前报备）", "face verification by SDK or H5 (announce in advance)"),
    "opt.app_status.not_sent": ("还没发送申请邮件", "application email not sent yet"),
    "opt.app_status.sent": ("已发送，等待审核", "sent, waiting for the review"),
    "opt.app_status.approved": ("已通过，收到了应用号", "approved, we have the app ID"),
    "opt.app_status.rejected": ("被驳回", "rejected"),
    "opt.key_owner.main": ("主账号", "the main account"),
    "opt.key_owner.sub": ("子账号（绑定 QcloudESSBASICFullAccess 策略）", "a sub-account holding QcloudESSBASICFullAccess"),
    "opt.confirm.yes": ("确认取消", "yes, cancel the case"),
    "opt.confirm.no": ("不取消", "no, keep it"),
    # -- questions ------------------------------------------------------------------------
    "q.environment": ("这次接入用于哪个环境？", "Which environment is this onboarding for?"),
    "q.has_verified_account": ("你们是否已有完成对公打款认证的腾讯云企业账号？", "Do you already have a Tencent Cloud enterprise account that finished bank-transfer verification?"),
    "q.transfer_status": ("对公打款认证进行到哪一步了？", "Where are you with the bank-transfer verification?"),
    "q.uin": ("腾讯云主账号的 UIN 是多少？（纯数字，例如 100016315204；控制台右上角 > 账号信息）", "What is the Tencent Cloud main account's UIN? (digits only, e.g. 100016315204; console top right > 账号信息)"),
    "q.enterprise_name": ("企业名称是什么？（与营业执照一致）", "What is the enterprise's registered name (as on the business licence)?"),
    "q.realname_route": ("补充实名认证选择哪种方式？", "Which route for the supplementary real-name verification?"),
    "q.org_type": ("组织类型是？", "What type of organisation is it?"),
    "q.uscc": ("统一社会信用代码是多少？（18 位）", "What is the unified social credit code (18 characters)?"),
    "q.uscc_or_reg": ("统一社会信用代码（18 位）或营业执照注册号（15 位）是多少？", "What is the unified social credit code (18 characters) or the business registration number (15 digits)?"),
    "q.cert_type": ("证件类型是？", "Which certificate does the organisation hold?"),
    "q.cert_number": ("证件号码是多少？（与所选证件类型一致）", "What is the certificate number (matching the certificate type)?"),
    "q.org_code": ("组织机构代码是多少？（9 位，例如 12345678-8）", "What is the organisation code (9 characters, e.g. 12345678-8)?"),
    "q.legal_rep": ("法人代表姓名？", "What is the legal representative's name?"),
    "q.operator_name": ("经营者姓名？", "What is the operator's name?"),
    "q.operator_id_number": ("经营者身份证号码？（18 位）", "What is the operator's resident ID number (18 characters)?"),
    "q.contact_name": ("组织联系人姓名？", "Who is the organisation's contact person?"),
    "q.contact_phone": ("联系人的联系方式？（手机或带区号的固话，可带分机）", "The contact's phone number? (mobile, or landline with area code and optional extension)"),
    "q.operator_phone": ("经营者的联系方式？（手机或带区号的固话）", "The operator's phone number? (mobile, or landline with area code)"),
    "q.org_email": ("组织邮箱？", "The organisation's email address?"),
    "q.license_image": ("请上传多合一营业执照的照片（JPEG 或 PNG，10 MB 以内）。", "Please upload a photo of the all-in-one business licence (JPEG or PNG, up to 10 MB)."),
    "q.individual_license_image": ("请上传营业执照的照片（JPEG 或 PNG，10 MB 以内）。", "Please upload a photo of the business licence (JPEG or PNG, up to 10 MB)."),
    "q.certificate_image": ("请上传与证件类型对应的证件照片（JPEG 或 PNG，10 MB 以内）。", "Please upload a photo of the certificate you chose (JPEG or PNG, up to 10 MB)."),
    "q.org_code_image": ("请上传组织机构代码证或社会团体登记证书的照片（JPEG 或 PNG，10 MB 以内）。", "Please upload a photo of the organisation-code certificate or the social-group registration certificate (JPEG or PNG, up to 10 MB)."),
    "q.realname_status": ("补充实名认证进行到哪一步了？", "Where are you with the supplementary real-name verification?"),
    "q.app_name": ("应用名称是什么？（例如：微信）", "What is the app's name? (for example: 微信)"),
    "q.app_type": ("应用类型是？", "What type of app is it?"),
    "q.app_description": ("请用一句话介绍这个应用（100 个字符以内）。", "Describe the app in a sentence (at most 100 characters)."),
    "q.whitelist_interfaces": ("需要开通哪些白名单接口？可多选，用逗号分隔编号；不需要请回复「无」或 skip。", "Which whitelist-only interfaces do you need? Several numbers separated by commas; reply 'none' or skip if you need none."),
    "q.app_status": ("应用号申请进行到哪一步了？", "Where are you with the app ID application?"),
    "q.app_id": ("请粘贴审核通过邮件里的应用号（32 位字母和数字）。", "Paste the app ID (应用号) from the approval email (32 letters and digits)."),
    "q.key_owner": ("API 密钥用主账号还是子账号？", "Will the API keys belong to the main account or a sub-account?"),
    # -- intros: the console steps, at the moment they are needed --------------------------
    "intro.environment": (
        "联调测试使用单独的测试账号：可联系销售，或发邮件到 " + CONTACT + "，写明应用名称、应用简介、应用类型（例如 XX_test、XX测试专用、PC Web），测试账号会通过邮件发给你们。",
        "Joint debugging uses a separate test account: ask your sales contact, or email " + CONTACT + " with the app name, description and type (for example XX_test, XX测试专用, PC Web); the test account arrives by email.",
    ),
    "intro.has_verified_account": (
        "接入腾讯电子签集成版需要一个完成对公打款认证的腾讯云企业账号。已有的话可以跳过注册。",
        "Tencent E-Sign integration version needs a Tencent Cloud enterprise account verified by bank transfer. If you already have one, registration is skipped.",
    ),
    "intro.transfer_status": (
        "注册并认证企业账号的步骤：\n"
        "1. 在腾讯云官网注册企业账号（可微信扫码）。\n"
        "2. 控制台 > 账号信息 > 基本信息 > 认证状态 > 提交认证；选择「企业认证」>「开始企业认证」。\n"
        "3. 选择证照类型，上传彩色证照照片，填写企业名称、机构代码、通讯地址。\n"
        "4. 认证方式选择「企业对公打款认证」。\n"
        "5. 填写对公账户名、开户银行、银行所在地、开户支行名称。\n"
        "之后腾讯云会在 1–3 个工作日内向该账户汇入 0.01–0.99 元的随机金额。",
        "Registering and verifying the enterprise account:\n"
        "1. Register a Tencent Cloud enterprise account (WeChat QR code or other ways).\n"
        "2. Console > 账号信息 > 基本信息 > 认证状态 > 提交认证; choose 企业认证 > 开始企业认证.\n"
        "3. Choose the certificate type, upload a colour photo of it, fill in 企业名称, 机构代码, 通讯地址.\n"
        "4. Choose 企业对公打款认证 (bank-transfer verification).\n"
        "5. Enter the corporate account: 对公账户名, 开户银行, 银行所在地, 开户支行名称.\n"
        "Tencent Cloud then transfers a random 0.01–0.99 CNY to that account within 1–3 working days.",
    ),
    "intro.uin": (
        "第 3 步的申请表需要主账号的 UIN。",
        "The stage 3 application form needs the main account's UIN.",
    ),
    "intro.realname_route": (
        "完成对公打款认证后，还要在腾讯电子签完成补充实名认证，审核需 1–3 个工作日，结果通过邮件通知。线上：登录腾讯电子签官网 > 企业信息 > 立即认证。线下：把材料发到 " + CONTACT + "（或交给客户经理）。",
        "After bank-transfer verification, E-Sign needs a supplementary real-name verification; the review takes 1–3 working days and the result comes by email. Online: log in at the E-Sign site > 企业信息 > 立即认证. Offline: email the materials to " + CONTACT + " (or give them to your account manager).",
    ),
    "intro.org_type": (
        "线下认证需要的材料取决于组织类型，我会逐项收集并校验。",
        "The offline materials depend on the organisation type; I will collect and check each one.",
    ),
    "intro.realname_status.online": (
        "线上补充实名：用腾讯云企业账号登录腾讯电子签官网 (ess.tencent.cn)，进入「企业信息」，单击「立即认证」，填写后提交审核。",
        "Online: log in at the E-Sign site (ess.tencent.cn) with the Tencent Cloud enterprise account, open 企业信息, click 立即认证, fill it in and submit for review.",
    ),
    "intro.realname_status.offline": (
        "材料已齐。请把以上材料和证照照片发邮件到 " + CONTACT + "（或交给客户经理）。审核需 1–3 个工作日，结果通过邮件通知。",
        "The materials are complete. Email them with the licence image to " + CONTACT + " (or give them to your account manager). The review takes 1–3 working days; the result comes by email.",
    ),
    "intro.app_name": (
        "实名认证通过后，需要把一份 Excel（Uin、企业名称、应用名称、应用类型、应用简介）发邮件到 " + CONTACT + " 申请应用号。我来收集这几项。",
        "After real-name verification, an Excel file (Uin, 企业名称, 应用名称, 应用类型, 应用简介) is emailed to " + CONTACT + " to apply for the app ID. Let me collect those.",
    ),
    "intro.whitelist_interfaces": (
        "部分接口需要开通白名单（腾讯电子签文档 53858），需要的话在申请邮件中写明。",
        "Some interfaces need a whitelist (E-Sign doc 53858); if you need them, the application email names them.",
    ),
    "intro.app_status": (
        "请把申请表发邮件到 " + CONTACT + "。资质审核通过后，你们会通过邮件收到应用号。",
        "Email the application form to " + CONTACT + ". After the qualification review, the app ID arrives by email.",
    ),
    "intro.key_owner": (
        "最后一步：拿到 SecretId 和 SecretKey。主账号或绑定了 QcloudESSBASICFullAccess 策略的子账号都可以。",
        "Last step: get a SecretId and SecretKey, from the main account or from a sub-account holding the QcloudESSBASICFullAccess policy.",
    ),
    # -- notes after particular answers ----------------------------------------------------
    "note.transfer_status.not_started": (
        "先按上面的 1–5 步提交银行账户信息，提交后回来选「已提交，等待打款」。",
        "Follow steps 1–5 above to submit the bank details, then come back and choose 'submitted, waiting for the transfer'.",
    ),
    "note.transfer_status.waiting": (
        "打款会在 1–3 个工作日内到账，金额在 0.01–0.99 元之间。到账后：控制台 > 账号信息 > 企业实名认证 > 「我已收到打款，开始校验」，填写准确金额。⚠️ 连续输错两次认证即失败，请先和财务核对金额再填写。验证成功后回来告诉我。",
        "The transfer of 0.01–0.99 CNY arrives within 1–3 working days. Then: console > 账号信息 > 企业实名认证 > 我已收到打款，开始校验, and enter the exact amount. ⚠️ Two wrong entries in a row fail the verification: check the amount with your finance team first. Tell me when it is verified.",
    ),
    "note.realname_status.not_submitted": (
        "提交后回来选「已提交，等待审核」。",
        "When it is submitted, come back and choose 'submitted, waiting for the review'.",
    ),
    "note.realname_status.submitted": (
        "审核需 1–3 个工作日，结果会发到邮箱。收到结果后回来告诉我。",
        "The review takes 1–3 working days; the result comes by email. Tell me when it arrives.",
    ),
    "note.realname_status.rejected": (
        "请按驳回邮件中的原因修改（用「修改 字段 新值」更正材料，例如：修改 org_email ops@example.com），重新提交后选「已提交，等待审核」。有疑问可联系 " + CONTACT + "。",
        "Fix what the rejection email names (correct a field with 'edit <field> <value>', e.g. edit org_email ops@example.com), resubmit, then choose 'submitted, waiting for the review'. Questions: " + CONTACT + ".",
    ),
    "note.app_status.not_sent": (
        "发送申请邮件后回来选「已发送，等待审核」。",
        "When the email is sent, come back and choose 'sent, waiting for the review'.",
    ),
    "note.app_status.sent": (
        "审核通过后应用号会通过邮件发来，收到后回来告诉我。",
        "The app ID comes by email after the review; tell me when it arrives.",
    ),
    "note.app_status.rejected": (
        "请按驳回邮件的原因修改申请信息（用「修改 字段 新值」），重新发送后选「已发送，等待审核」。有疑问可联系 " + CONTACT + "。",
        "Fix the application as the rejection email says (use 'edit <field> <value>'), send it again, then choose 'sent, waiting for the review'. Questions: " + CONTACT + ".",
    ),
    "note.key_owner.main": (
        "主账号：腾讯云控制台 > 访问管理 > 访问密钥 > API 密钥管理 > 新建密钥，即得 SecretId 和 SecretKey。",
        "Main account: console > 访问管理 > 访问密钥 > API 密钥管理 > 新建密钥 gives the SecretId and SecretKey.",
    ),
    "note.key_owner.sub": (
        "子账号：1. 用主账号登录「访问管理」，在用户列表选中子账号 > 授权（还没有子账号就先新建子用户）。2. 搜索 QcloudESSBASICFullAccess，选中并保存。3. 用子账号登录 访问管理 > 访问密钥 > API 密钥管理 > 新建密钥。",
        "Sub-account: 1. As the main account, in 访问管理 pick the sub-user > 授权 (no sub-user yet: create one first). 2. Search QcloudESSBASICFullAccess, select it and save. 3. As the sub-user: 访问管理 > 访问密钥 > API 密钥管理 > 新建密钥.",
    ),
    # -- errors ---------------------------------------------------------------------------
    "err.empty": ("没有收到内容，请输入回答。", "That was empty; please type an answer."),
    "err.control_chars": ("回答里有控制字符，请只输入可见文字。", "The answer contains control characters; please type visible text only."),
    "err.too_long": ("太长了：{length} 个字符，最多 {max} 个。", "Too long: {length} characters, at most {max}."),
    "err.too_short": ("太短了：至少 {min} 个字符。", "Too short: at least {min} characters."),
    "err.input_too_long": ("消息太长（{length} 个字符），我最多读取 {max} 个字符，未做任何修改。", "That message is too long ({length} characters); I read at most {max}. Nothing was changed."),
    "err.symbols": ("名称里不能有表情或符号。", "A name cannot contain emoji or symbols."),
    "err.name_chars": ("姓名只能包含文字、空格和间隔号（·）。", "A name may contain only letters, spaces and the middle dot (·)."),
    "err.mixed_scripts": ("姓名混用了不同文字（如汉字和拉丁字母），请按证件上的写法输入。", "The name mixes scripts (e.g. Chinese and Latin letters); type it exactly as on the ID document."),
    "err.uin_digits": ("UIN 只能是数字。", "A UIN has digits only."),
    "err.uin_length": ("UIN 应为 5–15 位数字且不以 0 开头，例如 100016315204。", "A UIN is 5–15 digits and does not start with 0, e.g. 100016315204."),
    "err.uscc_length": ("统一社会信用代码应为 18 位，你输入了 {length} 位。", "A unified social credit code has 18 characters; you typed {length}."),
    "err.uscc_chars": ("统一社会信用代码只含数字和大写字母（不含 I、O、Z、S、V）。", "A unified social credit code has only digits and capital letters (no I, O, Z, S, V)."),
    "err.uscc_check": ("统一社会信用代码的校验位不对，请对照营业执照逐位核对。", "The check character of that unified social credit code is wrong; compare it with the licence character by character."),
    "err.uscc_invalid": ("这不是有效的统一社会信用代码（登记管理部门代码或内含的组织机构代码不对）。", "That is not a valid unified social credit code (its registration authority or embedded organisation code is wrong)."),
    "err.uscc_or_reg": ("请输入 18 位统一社会信用代码或 15 位营业执照注册号。", "Type the 18-character unified social credit code or the 15-digit registration number."),
    "err.org_code_length": ("组织机构代码应为 9 位（8 位本体 + 1 位校验码），你输入了 {length} 位。", "An organisation code has 9 characters (8 plus a check character); you typed {length}."),
    "err.org_code_chars": ("组织机构代码由数字和大写字母组成，最后一位是数字或 X。", "An organisation code has digits and capital letters, ending in a digit or X."),
    "err.org_code_check": ("组织机构代码的校验码不对，请对照证书核对。", "The check character of that organisation code is wrong; compare it with the certificate."),
    "err.ric_length": ("身份证号应为 18 位，你输入了 {length} 位。", "A resident ID number has 18 characters; you typed {length}."),
    "err.ric_chars": ("身份证号前 17 位是数字，最后一位是数字或 X。", "A resident ID number has 17 digits and ends in a digit or X."),
    "err.ric_birth": ("身份证号里的出生日期不存在。", "The birth date inside that resident ID number does not exist."),
    "err.ric_check": ("身份证号的校验位不对，请逐位核对。", "The check character of that resident ID number is wrong; check it digit by digit."),
    "err.ric_invalid": ("这不是有效的身份证号（地区码不对）。", "That is not a valid resident ID number (its region code is wrong)."),
    "err.regno_length": ("营业执照注册号应为 15 位数字，你输入了 {length} 位。", "A business registration number has 15 digits; you typed {length}."),
    "err.regno_chars": ("营业执照注册号只能是数字。", "A business registration number has digits only."),
    "err.regno_check": ("营业执照注册号的校验位不对，请对照营业执照核对。", "The check digit of that registration number is wrong; compare it with the licence."),
    "err.institution_cert": ("事业单位法人证书号应为 6–24 位数字或字母。", "A public institution certificate number has 6–24 digits or letters."),
    "err.phone": ("请输入中国大陆手机号（如 13812345678）或带区号的固话（如 010-12345678，可加分机 010-12345678-123）。", "Type a mainland mobile number (e.g. 13812345678) or a landline with area code (e.g. 010-12345678, extension as 010-12345678-123)."),
    "err.email": ("这不是有效的邮箱地址，例如 ops@example.com。", "That is not a valid email address, e.g. ops@example.com."),
    "err.app_id": ("应用号是 32 位字母和数字，你输入了 {length} 个字符。", "An app ID is 32 letters and digits; you typed {length} characters."),
    "err.choice": ("请回复选项编号或名称：{options}", "Reply with an option's number or name: {options}"),
    "err.multi_choice": ("「{item}」不在列表中。请回复编号或名称，用逗号分隔：{options}", "'{item}' is not on the list. Reply with numbers or names separated by commas: {options}"),
    "err.need_image": ("这个问题需要上传图片。在终端里请输入图片文件的路径。", "This question needs an image upload. In the terminal, type the image file's path."),
    "err.image_type": ("只接受 JPEG 或 PNG 图片。", "Only JPEG or PNG images are accepted."),
    "err.image_size": ("图片太大：{size} MB，最多 {max} MB。", "The image is too large: {size} MB, at most {max} MB."),
    "err.image_empty": ("图片文件是空的。", "The image file is empty."),
    "err.unexpected_file": ("现在不需要文件，请回答下面的问题。", "No file is needed right now; please answer the question below."),
    "err.not_optional": ("这个问题必须回答，不能跳过。", "This question is required and cannot be skipped."),
    "err.nothing_to_skip": ("当前没有可以跳过的问题。", "There is no question to skip."),
    "err.back_at_start": ("已经是第一个问题了。", "This is already the first question."),
    "err.edit_usage": ("用法：修改 <字段> [新值]，例如：修改 org_email ops@example.com", "Usage: edit <field> [value], e.g. edit org_email ops@example.com"),
    "err.unknown_field": ("没有名为「{name}」的字段。", "There is no field called '{name}'."),
    "ui.editable_fields": ("可修改的字段：{fields}", "Fields you can edit: {fields}"),
    "err.field_not_applicable": ("「{name}」不适用于这个案例（取决于之前的回答）。", "'{name}' does not apply to this case (it depends on earlier answers)."),
    "err.lang_usage": ("用法：语言 zh 或 lang en", "Usage: lang zh or lang en"),
    "err.stale_button": ("这个按钮属于之前的问题，当前问题是：{question}", "That button belongs to an earlier question. The current question is: {question}"),
    "err.no_case": ("这里还没有进行中的接入案例。回复「开始」或 start 开始。", "There is no onboarding case here yet. Reply 'start' to begin."),
    "err.internal": ("出了点问题，这条消息没有被保存，什么也没改变。请再试一次。", "Something went wrong: that message was not saved and nothing changed. Please try again."),
    "err.not_available": ("「{command}」在这个版本中还不可用。", "'{command}' is not available in this version."),
    "err.args_unexpected": ("「{command}」不需要参数。", "'{command}' takes no arguments."),
    # -- conversation ---------------------------------------------------------------------
    "ui.welcome": (
        "你好！我会一步步带你们完成腾讯电子签集成版的接入：共 4 步，每次问一个问题，每个回答都会先校验再保存。随时回复「帮助」查看命令，「状态」查看进度。For English, reply: lang en",
        "Hello! I will walk your team through onboarding onto Tencent E-Sign integration version: 4 stages, one question at a time, every answer checked before it is kept. Reply 'help' for commands and 'status' for progress at any time. 中文请回复：语言 zh",
    ),
    "ui.resume": ("继续案例 #{case_id}（{progress}）。", "Resuming case #{case_id} ({progress})."),
    "ui.already_started": ("这里已经有进行中的案例 #{case_id}。", "This conversation already has case #{case_id} in progress."),
    "ui.saved": ("✔ 已保存「{label}」：{value}", "✔ Saved {label}: {value}"),
    "ui.skipped": ("已跳过「{label}」。", "Skipped '{label}'."),
    "ui.invalidated": ("「{label}」与新的回答不再匹配，已清除，稍后会重新询问。", "'{label}' no longer fits the new answer; it was cleared and will be asked again."),
    "ui.current_value": ("当前值：{value}", "Current value: {value}"),
    "ui.progress": ("进度 {bar} {percent}%", "Progress {bar} {percent}%"),
    "ui.stage_header": ("【{stage}】", "[{stage}]"),
    "ui.waiting_here": ("⏳ 我会在这里等。状态有变化时回复对应选项即可。", "⏳ I will wait here. When things move, reply with the matching option."),
    "ui.multi_hint": ("（可多选，用逗号分隔）", "(choose several, separated by commas)"),
    "ui.optional_hint": ("（可选，回复 skip/跳过 略过）", "(optional: reply skip to leave it out)"),
    "ui.none": ("无", "none"),
    "ui.complete": (
        "🎉 四个步骤都完成了！用 SecretId、SecretKey、应用号和用户 ID（主账号或绑定策略的子账号）即可调用腾讯电子签 API。回复「状态」查看全部信息，「修改 字段 新值」更正任何一项。",
        "🎉 All four stages are done! With the SecretId, SecretKey, app ID and the user ID (main account or the sub-account holding the policy) you can call E-Sign. Reply 'status' to see everything, 'edit <field> <value>' to correct anything.",
    ),
    "ui.complete_next.test": (
        "联调完成、准备上线时，回复「开始 正式」为正式环境开一个新案例：企业与应用信息会带过去，正式账号、实名、应用号和密钥重新走一遍。",
        "When joint debugging is done and you are ready to go live, reply 'start prod' to open a new case for production: the organisation and app details carry over; the production account, real-name verification, app ID and keys are done again.",
    ),
    "ui.carried": (
        "从案例 #{case_id} 带过来的信息：{fields}。如有不同，用「修改 字段 新值」更正。",
        "Carried over from case #{case_id}: {fields}. If anything differs here, correct it with 'edit <field> <value>'.",
    ),
    "err.start_usage": (
        "用法：开始（继续当前案例），或 开始 正式 / 开始 联调（为该环境开始案例）。",
        "Usage: start (resume this case), or start prod / start test (a case for that environment).",
    ),
    "err.start_unfinished": (
        "案例 #{case_id} 还没有完成，不能为另一个环境开新案例。先完成它；如果只是环境选错了，用「修改 environment 正式」更正。",
        "Case #{case_id} is not finished yet, so a case for another environment cannot start. Finish it first; if only the environment was wrong, correct it with 'edit environment prod'.",
    ),
    "ui.confirm_cancel": ("确定要取消案例 #{case_id} 吗？已保存的回答和历史会保留，但这个对话将不再继续它。", "Cancel case #{case_id}? Its answers and history are kept, but this conversation stops working on it."),
    "ui.cancelled": ("案例 #{case_id} 已取消。回复「开始」可开始新的案例。", "Case #{case_id} is cancelled. Reply 'start' to begin a new one."),
    "ui.cancel_kept": ("好的，没有取消，继续。", "OK, not cancelled; let's go on."),
    "ui.lang_set": ("已切换为中文。", "Switched to English."),
    "ui.unknown_command_hint": ("回复「帮助」查看可用命令。", "Reply 'help' to see the commands."),
    "ui.file_label": ("{name}（{size} KB）", "{name} ({size} KB)"),
    # -- help -----------------------------------------------------------------------------
    "help.title": ("可用命令（中英文均可）：", "Commands (English or Chinese):"),
    "help.start": ("开始 / start [正式|联调] — 开始或继续接入案例；完成后「开始 正式」为正式环境开新案例", "start / 开始 [prod|test] — start or resume the onboarding case; once it is done, 'start prod' opens a case for production"),
    "help.status": ("状态 / status — 各步骤进度、每个回答及填写人、缺少的信息、等待中的审核；状态 全部 — 所有案例（管理员）", "status / 状态 — progress per stage, every answer with who gave it, what is missing, the waits; status all — every case (admins)"),
    "help.back": ("返回 / back — 回到上一个问题", "back / 返回 — go back to the previous question"),
    "help.skip": ("跳过 / skip — 跳过可选问题", "skip / 跳过 — skip an optional question"),
    "help.edit": ("修改 / edit <字段> [新值] — 更正一个回答，例如：修改 org_email ops@example.com", "edit / 修改 <field> [value] — correct an answer, e.g. edit org_email ops@example.com"),
    "help.cancel": ("取消 / cancel — 取消这个案例（需确认，历史保留）", "cancel / 取消 — cancel this case (asks first; history is kept)"),
    "help.lang": ("语言 / lang zh|en — 切换语言", "lang / 语言 zh|en — switch language"),
    "help.help": ("帮助 / help — 显示本帮助", "help / 帮助 — show this help"),
    "help.excel": ("表格 / excel — 生成应用号申请表（Excel）", "excel / 表格 — build the app-ID application workbook (Excel)"),
    "help.materials": ("材料 / materials — 打包线下补充实名材料（zip）", "materials / 材料 — package the offline real-name materials (zip)"),
    "help.email": ("邮件 / email — 预览并发送申请邮件到 " + CONTACT, "email / 邮件 — preview and send the application email to " + CONTACT),
    "help.check": ("检查 / check — 私下检查 SecretId/SecretKey 能否调用电子签", "check / 检查 — privately check that a SecretId/SecretKey can call E-Sign"),
    "help.review": ("审核 / review <transfer|realname|app> approved|rejected [原因或应用号] — 记录审核结果", "review / 审核 <transfer|realname|app> approved|rejected [reason or app ID] — record a review result"),
    "help.next": ("下一步：{question}", "Next: {question}"),
    "help.next_done": ("所有步骤已完成。", "Every stage is done."),
    # -- status ---------------------------------------------------------------------------
    "status.title": ("案例 #{case_id} · {environment} · 由 {creator} 于 {created} 创建", "Case #{case_id} · {environment} · started by {creator} on {created}"),
    "status.stage_line": ("{icon} {stage} — {state}", "{icon} {stage} — {state}"),
    "status.answer_line": ("    {label}：{value} — {who}，{when}", "    {label}: {value} — {who}, {when}"),
    "status.missing": ("还缺：{fields}", "Missing: {fields}"),
    "status.nothing_missing": ("信息已齐全。", "Nothing is missing."),
    "status.environment_unset": ("环境未定", "environment not chosen"),
}

_SOURCES: tuple[Mapping[str, tuple[str, str]], ...] = (_M, texts_wecom.TEXTS, texts_files.TEXTS,
                                                       texts_slack.TEXTS,
                                                       texts_credentials.TEXTS, texts_reviews.TEXTS,
                                                       texts_mail.TEXTS, texts_admin.TEXTS)
"""The core table above, then each feature's own ``handlers/texts_<feature>.py`` ``TEXTS``."""


def _merge(sources: tuple[Mapping[str, tuple[str, str]], ...]) -> dict[str, Mapping[str, str]]:
    merged: dict[str, Mapping[str, str]] = {}
    for source in sources:
        for key, texts in source.items():
            if key in merged:
                raise ValueError(f"message key defined twice: {key}")
            merged[key] = MappingProxyType(dict(zip(LANGS, texts, strict=True)))
    return merged


MESSAGES: Mapping[str, Mapping[str, str]] = MappingProxyType(_merge(_SOURCES))


def normalise_lang(lang: str | None) -> str:
    """Map what people type (zh, zh-CN, 中文, en, English) to a catalogue language."""
    if not lang:
        return DEFAULT_LANG
    folded = lang.strip().casefold()
    if folded in {"en", "english", "英文", "英语"} or folded.startswith("en"):
        return "en"
    return "zh"


def has(key: str) -> bool:
    return key in MESSAGES


def t(key: str, lang: str, **params: Any) -> str:
    """The sentence for ``key`` in ``lang``, with ``params`` filled in."""
    text = MESSAGES[key][lang if lang in LANGS else DEFAULT_LANG]
    return text.format(**params) if params else text


def labels(key: str) -> tuple[str, ...]:
    """The sentence for ``key`` in every language (to recognise what people type)."""
    return tuple(MESSAGES[key].values()) if key in MESSAGES else ()
