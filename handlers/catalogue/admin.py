# ruff: noqa: E501
"""What the admin commands say (``export-case``, ``delete-case``, ``rotate-data-key``,
``backup``, ``cases``).

Why in the catalogue: an admin may read Chinese or English like everyone else, and a sentence
that names a setting should name it the same way in both.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "admin.no_case": (
        "没有编号为 #{case} 的案例。",
        "There is no case #{case}.",
    ),
    "admin.exported": (
        "案例 #{case} 已导出到 {path}（含完整的个人信息，请妥善保管，用完即删）。",
        "Case #{case} exported to {path} (it holds full personal data: keep it safe and delete "
        "it when done).",
    ),
    "admin.delete_needs_yes": (
        "删除无法撤销：确认要删除案例 #{case} 及其全部记录，请加上 --yes 再运行一次。",
        "Deleting cannot be undone: to erase case #{case} and everything tied to it, run again "
        "with --yes.",
    ),
    "admin.deleted": (
        "案例 #{case} 及其全部记录已删除：{counts}。",
        "Case #{case} and everything tied to it are erased: {counts}.",
    ),
    "admin.rotated": (
        "已用新密钥重新加密 {count} 个个人信息值。现在把 ESIGNBOT_DATA_KEY 设为 "
        "ESIGNBOT_NEW_DATA_KEY 的值，然后删除 ESIGNBOT_NEW_DATA_KEY。",
        "Re-sealed {count} personal values with the new key. Now set ESIGNBOT_DATA_KEY to the "
        "value of ESIGNBOT_NEW_DATA_KEY, then remove ESIGNBOT_NEW_DATA_KEY.",
    ),
    "admin.sealing_problem": (
        "无法读取或加密个人信息：{detail}",
        "Cannot open or seal personal data: {detail}",
    ),
    # -- esignbot backup -------------------------------------------------------------------
    "admin.backup_done": (
        "已把 {db} 备份到 {path}：{size} MB，{pages} 页分 {steps} 步复制（机器人可照常运行），完整性检查通过。这是逐页的副本：加密的个人信息在备份中仍是加密的，读取它需要同一个 ESIGNBOT_DATA_KEY；文件只有你能读，请妥善保管。",
        "Backed up {db} to {path}: {size} MB, {pages} pages copied in {steps} steps while the bot kept running; the integrity check passed. It is a page-for-page copy: sealed personal values stay sealed and need the same ESIGNBOT_DATA_KEY to be read; only you can read the file, keep it safe.",
    ),
    "admin.backup_exists": (
        "{path} 已存在，没有写入任何内容。请换一个文件名，或加上 --force 覆盖它。",
        "{path} already exists; nothing was written. Choose another file, or add --force to replace it.",
    ),
    "admin.backup_same_file": (
        "{path} 就是数据库本身（或它的日志文件），不能备份到这里；请换一个文件。",
        "{path} is the database itself (or its journal), so it cannot take the backup; choose another file.",
    ),
    "admin.backup_unwritable": (
        "无法写入 {path}（{detail}），没有留下任何文件。",
        "Cannot write {path} ({detail}); no file was left behind.",
    ),
    "admin.backup_corrupt": (
        "{db} 的副本没有通过完整性检查（{detail}），已删除。请停止机器人后运行 sqlite3 {db} \"PRAGMA integrity_check\" 查看原文件。",
        "The copy of {db} failed its integrity check ({detail}) and was deleted. Stop the bot and run sqlite3 {db} \"PRAGMA integrity_check\" to look at the original.",
    ),
    "admin.no_database": (
        "{db} 不是 SQLite 数据库（或不存在），没有做任何改动。请检查 --db 或 ESIGNBOT_DB。",
        "There is no SQLite database at {db}; nothing was changed. Check --db or ESIGNBOT_DB.",
    ),
    # -- esignbot cases ----------------------------------------------------------------------
    "admin.cases.col.case": ("案例", "case"),
    "admin.cases.col.name": ("企业名称", "enterprise name"),
    "admin.cases.col.environment": ("环境", "environment"),
    "admin.cases.col.stage": ("阶段", "stage"),
    "admin.cases.col.waits": ("进行中的等待", "pending waits"),
    "admin.cases.col.last_activity": ("最近活动", "last activity"),
    "admin.cases.wait_separator": ("；", "; "),
    # -- esignbot doctor -------------------------------------------------------------------
    "admin.doctor.settings": (
        "设置（serve 启动时检查的内容）：",
        "Settings (what serve checks at start):",
    ),
    "admin.doctor.logs": ("  ✅ 日志：级别 {level}，格式 {format}", "  ✅ log lines: level {level}, format {format}"),
    "admin.doctor.admins": ("  ✅ ESIGNBOT_ADMINS：{count} 位管理员", "  ✅ ESIGNBOT_ADMINS: {count} admin(s)"),
    "admin.doctor.data_key_set": (
        "  ✅ ESIGNBOT_DATA_KEY：个人信息（身份证号、手机号）加密保存",
        "  ✅ ESIGNBOT_DATA_KEY: personal fields (resident ID, phone) are sealed at rest",
    ),
    "admin.doctor.data_key_unset": (
        "  ℹ️ 未设置 ESIGNBOT_DATA_KEY：个人信息不加密保存（见 esignbot guide hardening）",
        "  ℹ️ ESIGNBOT_DATA_KEY is not set: personal fields are stored unsealed (see esignbot guide hardening)",
    ),
    "admin.doctor.platform_on": ("  ✅ {platform}：已配置", "  ✅ {platform}: configured"),
    "admin.doctor.platform_off": ("  ℹ️ {platform}：未配置", "  ℹ️ {platform}: not configured"),
    "admin.doctor.nothing_to_serve": (
        "  ℹ️ 没有配置任何聊天平台：esignbot serve 不会启动（esignbot console 不需要平台）。设置 SLACK_* 或 WECOM_*，见 esignbot guide slack / esignbot guide wecom-app。",
        "  ℹ️ No chat platform is configured: esignbot serve would not start (esignbot console needs none). Set SLACK_* or WECOM_*, see esignbot guide slack or esignbot guide wecom-app.",
    ),
    "admin.doctor.mailbox_on": ("  ✅ 邮箱监听：{mailbox}", "  ✅ mailbox watcher: {mailbox}"),
    "admin.doctor.mailbox_off": ("  ℹ️ 邮箱监听：未配置", "  ℹ️ mailbox watcher: not configured"),
    "admin.doctor.files": ("文件：", "Files:"),
    "admin.doctor.db_new": (
        "  ✅ 数据库 {db} 还不存在，serve 启动时会创建（所在文件夹可写）",
        "  ✅ the database {db} does not exist yet; serve creates it (its folder can be written)",
    ),
    "admin.doctor.db_current": ("  ✅ 数据库 {db}：可读，结构是最新的", "  ✅ the database {db}: readable, its schema up to date"),
    "admin.doctor.db_pending": (
        "  ✅ 数据库 {db}：可读；下次启动时会升级结构（{count} 个迁移）",
        "  ✅ the database {db}: readable; {count} migration(s) will be applied at the next start",
    ),
    "admin.doctor.db_unwritable": (
        "无法写入数据库 {db}（{detail} 不可写）：serve 需要写入它以及旁边的 -wal 和 -shm 文件。请检查 --db、ESIGNBOT_DB 或文件权限。",
        "The database {db} cannot be written ({detail} is not writable): serve writes it and the -wal and -shm files beside it. Check --db, ESIGNBOT_DB or the permissions.",
    ),
    "admin.doctor.data_key_opens": (
        "  ✅ ESIGNBOT_DATA_KEY 能打开数据库中已加密的信息",
        "  ✅ ESIGNBOT_DATA_KEY opens the personal fields sealed in the database",
    ),
    "admin.doctor.out_ok": ("  ✅ ESIGNBOT_OUT（{path}）：可以写入文件", "  ✅ ESIGNBOT_OUT ({path}): files can be written there"),
    "admin.doctor.out_unwritable": (
        "ESIGNBOT_OUT（{path}）无法写入：请设置为当前用户可写的文件夹。",
        "ESIGNBOT_OUT ({path}) cannot be written: set it to a folder this user can write.",
    ),
    "admin.doctor.calendar": (
        "工作日日历（到期日和提醒按它计算）：",
        "Working-day calendar (due dates and reminders are counted with it):",
    ),
    "admin.doctor.official": (
        "  {first}–{last} 年：国务院公布的安排（chinese-calendar {version}）",
        "  {first}–{last}: the State Council's schedule (chinese-calendar {version})",
    ),
    "admin.doctor.operator": (
        "  {years} 年：运维提供的安排（ESIGNBOT_HOLIDAYS = {path}），优先使用",
        "  {years}: the operator's schedule (ESIGNBOT_HOLIDAYS = {path}), used first",
    ),
    "admin.doctor.no_operator": (
        "  未设置 ESIGNBOT_HOLIDAYS（运维节假日文件）",
        "  no operator's holidays file (ESIGNBOT_HOLIDAYS is not set)",
    ),
    "admin.doctor.rule": (
        "  其他年份：按法定节日规则估算（holidays {version}），调休上班日未知，到期日会标注为估算",
        "  any other year: estimated from the statutory holidays (holidays {version}); make-up working days are unknown, so due dates are marked as estimates",
    ),
    "admin.doctor.year_covered": (
        "✅ {year} 年已覆盖：{source}",
        "✅ {year} is covered: {source}",
    ),
    "admin.doctor.year_estimated": (
        "⚠️ {year} 年没有正式安排，只能估算。国务院办公厅公布安排后，把它写入 ESIGNBOT_HOLIDAYS 文件（格式见 esignbot guide reviews）或升级 chinese-calendar，然后重启。",
        "⚠️ {year} has no official schedule, only estimates. Once the State Council publishes it, write it into the ESIGNBOT_HOLIDAYS file (format: esignbot guide reviews) or upgrade chinese-calendar, then restart.",
    ),
    "admin.doctor.source.operator": ("运维提供的安排", "the operator's schedule"),
    "admin.doctor.source.official": ("国务院公布的安排", "the State Council's schedule"),
    # -- a database that cannot be used (storage.StoreUnusable, any command) ------------------
    "admin.store.cannot_open": (
        "无法打开 {db} 作为数据库（{detail}）：它是一个文件夹，或所在文件夹不能写入。没有做任何改动；请检查 --db 或 ESIGNBOT_DB。",
        "{db} cannot be opened as the database ({detail}): it is a folder, or its folder cannot be written. Nothing was changed; check --db or ESIGNBOT_DB.",
    ),
    "admin.store.not_a_database": (
        "{db} 不是 SQLite 数据库（里面是别的内容），没有做任何改动。请检查 --db 或 ESIGNBOT_DB。",
        "{db} is not an SQLite database (it holds something else); nothing was changed. Check --db or ESIGNBOT_DB.",
    ),
    "admin.store.damaged": (
        "{db} 已损坏（SQLite：{detail}），可能是复制时被截断。没有做任何改动；请用备份（esignbot backup 生成的文件）替换它，或检查 --db 或 ESIGNBOT_DB。",
        "{db} is damaged (SQLite: {detail}), perhaps cut short while being copied. Nothing was changed; put a backup in its place (a file esignbot backup wrote) or check --db or ESIGNBOT_DB.",
    ),
    "admin.store.newer": (
        "{db} 已被更新版本的 esignbot 升级过（{detail}），这个版本不能安全地使用它，没有做任何改动。请安装那个版本或更新的版本，或用 --db / ESIGNBOT_DB 指向另一个文件。",
        "{db} was migrated by a newer esignbot ({detail}), so this version cannot use it safely; nothing was changed. Install that version or a newer one, or point --db or ESIGNBOT_DB at another file.",
    ),
    "admin.store.other": (
        "无法使用 {db}（{detail}），没有做任何改动。请检查 --db 或 ESIGNBOT_DB。",
        "{db} cannot be used ({detail}); nothing was changed. Check --db or ESIGNBOT_DB.",
    ),
    # -- esignbot console: its log -------------------------------------------------------------
    "console.log_warnings": (
        "ℹ️ 本次运行有 {count} 条给运维人员的警告，已写入 {path}（不在对话里显示）。",
        "ℹ️ This session wrote {count} warning(s) for whoever runs the bot to {path} (not shown in the conversation).",
    ),
    # -- esignbot guide ----------------------------------------------------------------------
    "admin.guide.list": (
        "随 esignbot 安装的指南（esignbot guide 名称 即可打印）：",
        "Guides installed with esignbot (print one with esignbot guide NAME):",
    ),
    "admin.guide.unknown": (
        "没有名为 {name} 的指南。可用的有：{names}。",
        "There is no guide called {name}. There are: {names}.",
    ),
}
