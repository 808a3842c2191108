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
        "⚠️ {year} 年没有正式安排，只能估算。国务院办公厅公布安排后，把它写入 ESIGNBOT_HOLIDAYS 文件（格式见 docs/reviews.md）或升级 chinese-calendar，然后重启。",
        "⚠️ {year} has no official schedule, only estimates. Once the State Council publishes it, write it into the ESIGNBOT_HOLIDAYS file (format in docs/reviews.md) or upgrade chinese-calendar, then restart.",
    ),
    "admin.doctor.source.operator": ("运维提供的安排", "the operator's schedule"),
    "admin.doctor.source.official": ("国务院公布的安排", "the State Council's schedule"),
}
