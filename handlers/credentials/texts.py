# ruff: noqa: E501
"""Sentences of the credential check (``check`` / ``检查``), in Chinese and English.

Why a table of its own: the check reports five results, each with a reason and the console path
that fixes it, and every Tencent Cloud error code it can meet has a plain sentence here, so a
person never reads a raw code without knowing what to do. Keys start with ``cred.``.
"""

from __future__ import annotations

_API_KEYS_ZH = "「访问管理 › 访问密钥 › API 密钥管理」（https://console.cloud.tencent.com/cam/capi）"
_API_KEYS_EN = "CAM console › Access Keys › API Key Management (https://console.cloud.tencent.com/cam/capi)"

TEXTS: dict[str, tuple[str, str]] = {
    # -- the report ---------------------------------------------------------------------------
    "cred.report.title": ("🔐 API 密钥检查 · {secret_id} · {environment}", "🔐 API key check · {secret_id} · {environment}"),
    "cred.report.by": ("（由 {who} 发起）", " (run by {who})"),
    "cred.report.line": ("{icon} {check}：{detail}", "{icon} {check}: {detail}"),
    "cred.report.outcome.pass": ("结论：全部通过，这对密钥可以调用电子签。", "Verdict: everything passed; this key pair can call E-Sign."),
    "cred.report.outcome.fail": ("结论：有未通过的项目，请按上面的提示修正后再检查一次。", "Verdict: something failed; fix it as shown above and run the check again."),
    "cred.report.outcome.unknown": ("结论：没有发现错误，但有的项目无法确定，原因见上。", "Verdict: nothing failed, but some results could not be told; the reasons are above."),
    "cred.request_id": ("（RequestId：{request_id}）", " (RequestId: {request_id})"),
    "cred.fix_prefix": ("↳ 怎么修：", "↳ How to fix: "),
    "cred.check.key_valid": ("密钥有效", "Key valid"),
    "cred.check.account_matches": ("属于案例的主账号", "Belongs to the case's account"),
    "cred.check.identity": ("密钥身份", "Identity"),
    "cred.check.ess_policy": ("电子签权限", "E-Sign permission"),
    "cred.check.app_id": ("应用号", "App ID"),
    # -- key_valid ----------------------------------------------------------------------------
    "cred.key.pass": ("腾讯云接受了这对 SecretId/SecretKey。", "Tencent Cloud accepted this SecretId/SecretKey pair."),
    "cred.key.pass_test": ("电子签测试环境接受了这对密钥。它不是腾讯云账号的密钥，所以账号、身份和策略无法从腾讯云核对。", "The E-Sign test environment accepted this key pair. It is not a Tencent Cloud account key, so the account, identity and policy cannot be checked with Tencent Cloud."),
    "cred.key.bad_secret_id": ("SecretId 应为 AKID 开头、后接 32 位字母或数字（共 36 位），收到的是 {length} 位。", "A SecretId is AKID followed by 32 letters and digits (36 characters); this one has {length}."),
    "cred.key.bad_secret_key": ("SecretKey 应为 32 位字母或数字，收到的不是。", "A SecretKey is 32 letters and digits; this one is not."),
    "cred.depends.key": ("没有检查：密钥本身没有通过。", "Not checked: the key itself was not accepted."),
    "cred.depends.key_unknown": ("无法确定：密钥检查没能完成。", "Could not tell: the key check could not finish."),
    # -- account_matches ----------------------------------------------------------------------
    "cred.account.pass": ("密钥属于主账号 {uin}，与案例记录一致。", "The key belongs to main account {uin}, as the case records."),
    "cred.account.mismatch": ("密钥属于主账号 {account}，但案例记录的主账号是 {uin}。", "The key belongs to main account {account}, but the case records main account {uin}."),
    "cred.account.no_uin": ("案例还没有记录主账号 UIN；这个密钥属于主账号 {account}。", "The case has no main-account UIN yet; this key belongs to main account {account}."),
    "cred.account.test_key": ("无法确定：测试环境的密钥不能用腾讯云核对所属账号。", "Could not tell: a test-environment key cannot be traced to a Tencent Cloud account."),
    # -- identity -----------------------------------------------------------------------------
    "cred.identity.main": ("主账号自己的密钥（UIN {uin}），拥有全部权限。", "The main account's own key (UIN {uin}), with every permission."),
    "cred.identity.sub": ("子账号 {uin} 的密钥（属于主账号 {account}）。", "A key of sub-account {uin} (under main account {account})."),
    "cred.identity.main_not_sub": ("主账号自己的密钥（UIN {uin}）。案例里记录的是用子账号的密钥，如有变化请用「修改 key_owner」更正。", "The main account's own key (UIN {uin}). The case says a sub-account's key will be used; if that changed, correct it with 'edit key_owner'."),
    "cred.identity.sub_not_main": ("子账号 {uin} 的密钥（属于主账号 {account}）。案例里记录的是用主账号的密钥，如有变化请用「修改 key_owner」更正。", "A key of sub-account {uin} (under main account {account}). The case says the main account's key will be used; if that changed, correct it with 'edit key_owner'."),
    "cred.identity.role": ("这是角色的临时密钥（{uin}），会过期，不适合接入电子签。", "This is a role's temporary key ({uin}); it expires and is not suitable for E-Sign."),
    "cred.identity.test_key": ("无法确定：测试环境的密钥不能用腾讯云核对身份。", "Could not tell: a test-environment key's identity cannot be looked up at Tencent Cloud."),
    # -- ess_policy ---------------------------------------------------------------------------
    "cred.policy.main": ("主账号不需要额外授权。", "The main account needs no policy."),
    "cred.policy.direct": ("子账号 {uin} 直接关联了 {policy}。", "{policy} is attached to sub-account {uin} directly."),
    "cred.policy.group": ("子账号 {uin} 通过用户组「{group}」获得了 {policy}。", "Sub-account {uin} has {policy} through the group '{group}'."),
    "cred.policy.missing": ("子账号 {uin} 没有 {policy}（直接关联和随用户组都没有）。", "Sub-account {uin} does not hold {policy}, neither directly nor through a group."),
    "cred.policy.cam_refused": ("无法确定：访问管理（CAM）不允许这个密钥查询自己的策略（{code}），需要 cam:ListAttachedUserAllPolicies 权限（如预设策略 QcloudCamReadOnlyAccess）才能查看。", "Could not tell: CAM does not let this key list its own policies ({code}); that needs cam:ListAttachedUserAllPolicies (for example the preset policy QcloudCamReadOnlyAccess)."),
    "cred.policy.cam_refused_ess_ok": ("无法确定是否关联了 {policy}：访问管理（CAM）不允许这个密钥查询策略（{code}）。不过电子签已接受它的只读调用，说明它至少有部分电子签权限。", "Could not tell whether {policy} is attached: CAM does not let this key list policies ({code}). E-Sign did accept a read-only call with it, so it holds at least some E-Sign permission."),
    "cred.policy.ess_denied": ("电子签拒绝了这个密钥（{code}）：该身份没有电子签（集成版）的调用权限。", "E-Sign refused this key ({code}): this identity is not allowed to call E-Sign integration version."),
    "cred.policy.role": ("无法确定：角色的临时密钥不做策略检查。", "Could not tell: policies are not checked for a role's temporary key."),
    "cred.policy.test_key": ("无法确定：测试环境的密钥不能用腾讯云核对策略。", "Could not tell: a test-environment key's policies cannot be looked up at Tencent Cloud."),
    # -- app_id -------------------------------------------------------------------------------
    "cred.app.pass": ("应用号 {app_id} 在{environment}可以正常调用。", "App ID {app_id} answers in {environment}."),
    "cred.app.no_app_id": ("无法确定：案例还没有记录应用号，拿到审核通过邮件里的应用号后再检查。", "Could not tell: the case has no app ID yet; check again once the approval email gives you one."),
    "cred.app.not_found": ("{environment}没有应用号 {app_id}（{code}）。测试环境和正式环境的应用号是分开的。", "App ID {app_id} does not exist in {environment} ({code}). Test and production app IDs are separate."),
    "cred.app.other_env": ("应用号 {app_id} 不在{environment}，而在{other}。", "App ID {app_id} is not in {environment}: it belongs to {other}."),
    "cred.app.key_wrong_env": ("{environment}不认识这个密钥。测试环境和正式环境的密钥是分开的。", "{environment} does not know this key. Test and production keys are separate."),
    "cred.app.key_denied": ("无法确定：电子签拒绝了这个密钥（见「电子签权限」），所以没能试应用号。", "Could not tell: E-Sign refused this key (see 'E-Sign permission'), so the app ID could not be tried."),
    "cred.app.whitelist": ("应用号存在，但这个接口没有为它开通（{code}）。", "The app ID exists, but this interface is not opened for it ({code})."),
    # -- the network --------------------------------------------------------------------------
    "cred.net.timeout": ("无法确定：{host} 在 {seconds} 秒内没有应答，请稍后再试。", "Could not tell: {host} did not answer within {seconds} seconds; try again later."),
    "cred.net.unreachable": ("无法确定：连不上 {host}（网络不通或被拒绝连接），请检查网络后再试。", "Could not tell: {host} could not be reached (no route or connection refused); check the network and try again."),
    "cred.net.http": ("无法确定：{host} 返回了 HTTP 错误，请稍后再试。", "Could not tell: {host} answered with an HTTP error; try again later."),
    # -- every Tencent Cloud error code in the reference ---------------------------------------
    "cred.code.AuthFailure.SecretIdNotFound": ("腾讯云找不到这个 SecretId：密钥不存在，或已被删除、禁用。", "Tencent Cloud does not know this SecretId: the key does not exist, or was deleted or disabled."),
    "cred.code.AuthFailure.SignatureFailure": ("签名不对：通常是 SecretKey 与这个 SecretId 不是一对。", "The signature is wrong: usually the SecretKey does not belong to this SecretId."),
    "cred.code.AuthFailure.SignatureExpire": ("无法确定：本机时间与腾讯云相差超过 5 分钟，请校准本机时钟（NTP）后再试。", "Could not tell: this computer's clock is more than 5 minutes off Tencent Cloud's; fix the clock (NTP) and try again."),
    "cred.code.AuthFailure.InvalidSecretId": ("这不是腾讯云 API 密钥。", "This is not a Tencent Cloud API key."),
    "cred.code.AuthFailure.UnauthorizedOperation": ("访问管理（CAM）不允许这个身份执行该操作。", "CAM does not allow this identity to perform this action."),
    "cred.code.UnauthorizedOperation": ("这个身份没有执行该操作的权限。", "This identity is not authorised to perform this action."),
    "cred.code.RequestLimitExceeded": ("无法确定：腾讯云限流，重试几次后仍被拒绝，请过一分钟再试。", "Could not tell: Tencent Cloud kept rate-limiting the request after several tries; try again in a minute."),
    "cred.code.InternalError": ("无法确定：腾讯云内部错误，请再试一次；如果一直出现，把 RequestId 发给腾讯云。", "Could not tell: Tencent Cloud had an internal error; try again, and if it keeps happening send the RequestId to Tencent Cloud."),
    "cred.code.FailedOperation": ("无法确定：腾讯云那边操作失败，请再试一次；如果一直出现，把 RequestId 发给腾讯云。", "Could not tell: the operation failed on Tencent Cloud's side; try again, and if it keeps happening send the RequestId to Tencent Cloud."),
    "cred.code.ResourceNotFound.UserNotExist": ("访问管理（CAM）里没有这个子用户。", "CAM has no such sub-user."),
    "cred.code.InvalidParameter.ParamError": ("无法确定：访问管理（CAM）不接受查询的参数，这是本机器人的问题，请反馈。", "Could not tell: CAM refused the query's parameters; that is this bot's fault, please report it."),
    "cred.code.InvalidParameter.Application": ("当前环境没有这个应用号。", "This app ID does not exist in this environment."),
    "cred.code.ResourceNotFound.Application": ("当前环境没有这个应用号。", "This app ID does not exist in this environment."),
    "cred.code.ResourceNotFound.NotExistApplication": ("当前环境没有这个应用号。", "This app ID does not exist in this environment."),
    "cred.code.OperationDenied.BannedApplication": ("这个应用号已被封禁。", "This app ID has been banned."),
    "cred.code.OperationDenied.NoApiAuth": ("这个应用还没有 API 调用权限。", "This app has no API permission yet."),
    "cred.code.ResourceNotFound.ApplicationAuth": ("找不到这个应用的授权记录。", "There is no authorisation record for this app."),
    "cred.code.OperationDenied.WhiteListForbid": ("这个接口没有为应用开通，需要申请加入白名单。", "This interface is not opened for the app; ask for it to be added to the whitelist."),
    "cred.code.ClientNetworkError": ("无法确定：连不上腾讯云，请检查网络后再试。", "Could not tell: Tencent Cloud could not be reached; check the network and try again."),
    "cred.code.ServerNetworkError": ("无法确定：腾讯云返回了 HTTP 错误，请稍后再试。", "Could not tell: Tencent Cloud answered with an HTTP error; try again later."),
    "cred.code.ClientParamsError": ("无法确定：请求参数有误，这是本机器人的问题，请反馈。", "Could not tell: the request's parameters were wrong; that is this bot's fault, please report it."),
    "cred.code.ClientError": ("无法确定：腾讯云 SDK 出错，请再试一次。", "Could not tell: the Tencent Cloud SDK failed; try again."),
    "cred.code.unknown": ("无法确定：腾讯云返回了 {code}。", "Could not tell: Tencent Cloud answered {code}."),
    # -- how to fix a failure -----------------------------------------------------------------
    "cred.fix.api_keys": ("用主账号登录腾讯云控制台，在" + _API_KEYS_ZH + "新建或启用密钥。", "Sign in to the Tencent Cloud console and create or re-enable the key in " + _API_KEYS_EN + "."),
    "cred.fix.copy_key": ("在" + _API_KEYS_ZH + "找到这个 SecretId，重新完整复制它的 SecretKey（前后不要带空格）。", "Find this SecretId in " + _API_KEYS_EN + " and copy its SecretKey again, whole, without spaces around it."),
    "cred.fix.account": ("用案例的主账号登录控制台，在右上角「账号信息」（https://console.cloud.tencent.com/developer）核对账号 ID；如果案例记录错了，用「修改 uin 正确的UIN」更正，否则在正确的账号下创建密钥。", "Sign in with the case's main account and compare its account ID under Account Information (https://console.cloud.tencent.com/developer); if the case recorded the wrong UIN, correct it with 'edit uin THE_RIGHT_UIN', otherwise create the key under the right account."),
    "cred.fix.policy": ("用主账号在「访问管理 › 用户 › 用户列表」（https://console.cloud.tencent.com/cam/user）打开该子用户，在「权限 › 关联策略」中搜索并关联 {policy}（或关联到它所在的用户组）。", "With the main account, open the sub-user under CAM › Users › User List (https://console.cloud.tencent.com/cam/user), then Permissions › Associate Policy, search for {policy} and attach it (or attach it to the user's group)."),
    "cred.fix.other_env": ("如果案例的环境选错了，用「修改 environment」更正；否则换成该环境对应的应用号（「修改 app_id」）。", "If the case's environment is wrong, correct it with 'edit environment'; otherwise use this environment's app ID ('edit app_id')."),
    "cred.fix.key_wrong_env": ("换用该环境的密钥：测试环境用联调测试账号的密钥，正式环境用正式账号在" + _API_KEYS_ZH + "的密钥；环境选错了就用「修改 environment」。", "Use this environment's key: the joint-debugging test account's key for test, the production account's key from " + _API_KEYS_EN + " for production; if the environment is wrong, use 'edit environment'."),
    "cred.fix.app_id": ("核对审核通过邮件里的 32 位应用号，用「修改 app_id」更正；如果环境选错了，用「修改 environment」。", "Compare with the 32-character app ID in the approval email and correct it with 'edit app_id'; if the environment is wrong, use 'edit environment'."),
    "cred.fix.contact": ("写信给 {contact}，附上应用号和 RequestId。", "Write to {contact} with the app ID and the RequestId."),
    "cred.fix.key_valid": ("在" + _API_KEYS_ZH + "核对这对密钥。", "Check the key pair in " + _API_KEYS_EN + "."),
    "cred.fix.account_matches": ("核对案例记录的主账号 UIN（「修改 uin」）和密钥所属的账号。", "Compare the case's main-account UIN ('edit uin') with the key's account."),
    "cred.fix.identity": ("在" + _API_KEYS_ZH + "为主账号或子账号创建长期密钥。", "Create a long-term key for the main account or a sub-account in " + _API_KEYS_EN + "."),
    "cred.fix.ess_policy": ("用主账号在「访问管理 › 用户 › 用户列表」为该子用户关联 {policy}。", "With the main account, attach {policy} to the sub-user under CAM › Users › User List."),
    # -- in the conversation ------------------------------------------------------------------
    "cred.running": ("正在检查 {secret_id}（{environment}），几秒钟后给出结果……", "Checking {secret_id} ({environment}); the result follows in a few seconds…"),
    "cred.shared_how": ("SecretKey 只能私下提供，不能发在群里。Slack：用 /esign check 打开私密窗口；企业微信：在与应用的私聊里发送「检查」；终端：在 esignbot console 里输入「检查」，或运行 esignbot check-credentials。检查结果（不含任何密钥）会发回这里。", "A SecretKey is only taken privately, never in a shared channel. Slack: /esign check opens a private form; WeCom: send 'check' in your private chat with the app; terminal: type 'check' in esignbot console, or run esignbot check-credentials. The result, without any secret, is posted back here."),
    "cred.ask": ("检查 API 密钥：请提供 SecretId 和 SecretKey。SecretKey 只用于这次检查，不会被保存、记录或显示。在私聊里也可以把两者放在同一条消息里发送。", "API key check: please give the SecretId and the SecretKey. The SecretKey is used for this check only; it is never stored, logged or shown. In a private chat you may also send both in one message."),
    "cred.leaked": ("这条消息里有腾讯云 API 密钥，我没有使用它，也没有保存这条消息的任何内容。如果 SecretKey 也发出来了，请马上在" + _API_KEYS_ZH + "禁用这对密钥并新建一对，然后私下检查新密钥（发送「检查」看怎么做）。", "That message holds a Tencent Cloud API key: I did not use it and kept nothing of the message. If the SecretKey was in it too, disable that key pair now in " + _API_KEYS_EN + " and create a new one, then check the new key privately (send 'check' to see how)."),
    "cred.check_usage": ("用法：检查 [test|prod]，例如「检查」或「检查 test」。", "Usage: check [test|prod], for example 'check' or 'check test'."),
    "cred.key_alone": ("这条消息看起来是一个 SecretKey，我没有保存也没有使用它。要检查密钥，请发送「检查」，按提示把 SecretId 和 SecretKey 一起私下提供。如果这条消息别人也能看到，请在" + _API_KEYS_ZH + "禁用这对密钥并新建一对。", "That message looks like a SecretKey: I neither kept nor used it. To check keys, send 'check' and give the SecretId and SecretKey together, privately, as it says. If anyone else can see this conversation, disable that key pair in " + _API_KEYS_EN + " and create a new one."),
    "cred.pair_ambiguous": ("一条消息里请只放一个 SecretId 和一个 SecretKey，这条消息我没有使用。", "Please send exactly one SecretId and one SecretKey in a message; I did not use this one."),
    "cred.not_configured": ("这个进程没有启用密钥检查。", "The credential check is not set up in this process."),
    "cred.bad_environment": ("环境只能是 test 或 prod。", "The environment is either test or prod."),
    # -- the terminal -------------------------------------------------------------------------
    "cred.console.intro": ("检查 API 密钥：先输入 SecretId，SecretKey 随后以隐藏方式提供。SecretKey 只用于这次检查，不会被保存、记录或显示。", "API key check: type the SecretId first; the SecretKey is then taken hidden. It is used for this check only, never stored, logged or shown."),
    "cred.console.secret_id_prompt": ("SecretId：", "SecretId: "),
    "cred.console.secret_key_prompt": ("SecretKey（输入时不显示）：", "SecretKey (not shown as you type): "),
    "cred.console.key_from_env": ("SecretKey 取自环境变量 TENCENTCLOUD_SECRET_KEY。", "Using the SecretKey from the environment variable TENCENTCLOUD_SECRET_KEY."),
    "cred.console.no_key": ("输入不是终端，无法隐藏输入 SecretKey：请设置环境变量 TENCENTCLOUD_SECRET_KEY 后再运行。SecretKey 绝不能写在可见的输入行里。", "Input is not a terminal, so the SecretKey cannot be typed hidden: set the environment variable TENCENTCLOUD_SECRET_KEY and run again. A SecretKey is never read from a visible line."),
    "cred.console.cancelled": ("没有收到 SecretId，已取消检查。", "No SecretId given; the check is cancelled."),
    "cred.console.not_a_secret_id": ("这一行只能是 SecretId（AKID 开头）。已取消检查。", "That line must be just the SecretId (starting with AKID). The check is cancelled."),
    "cred.console.inline_refused": ("这一行里有 SecretKey，我没有使用它。请输入「检查」，再在隐藏提示里输入 SecretKey。", "That line holds a SecretKey, so I did not use it. Type 'check' and give the SecretKey at the hidden prompt."),
    # -- the command line ---------------------------------------------------------------------
    "cred.cli.bad_secret_id": ("--secret-id 应为 AKID 开头、后接 32 位字母或数字。", "--secret-id must be AKID followed by 32 letters and digits."),
    "cred.cli.no_key": ("没有 SecretKey：请设置环境变量 TENCENTCLOUD_SECRET_KEY，或在终端里运行以隐藏输入。SecretKey 不能作为命令行参数。", "No SecretKey: set the environment variable TENCENTCLOUD_SECRET_KEY, or run in a terminal to type it hidden. A SecretKey is never taken as a command-line argument."),
    "cred.cli.key_in_argv": ("SecretKey 不能写在命令行参数里（其他用户用 ps 能看到，还会留在 shell 历史中），我没有使用它。请在" + _API_KEYS_ZH + "禁用这对密钥并新建一对，再通过环境变量 TENCENTCLOUD_SECRET_KEY 或隐藏输入提供。", "A SecretKey is never taken as a command-line argument (other users see it with ps, and it stays in the shell history), so I did not use it. Disable that key pair in " + _API_KEYS_EN + ", create a new one, and give it through TENCENTCLOUD_SECRET_KEY or the hidden prompt."),
    "cred.cli.bad_key": ("SecretKey 应为 32 位字母或数字。", "The SecretKey must be 32 letters and digits."),
}
