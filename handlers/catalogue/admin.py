"""What the admin commands say (``export-case``, ``delete-case``, ``rotate-data-key``).

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
}
