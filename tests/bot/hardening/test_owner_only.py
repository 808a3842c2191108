"""``export-case --out`` over a file already there: the export holds resident IDs, and
``os.open``'s mode applies only to a file it creates, so the file is made owner-only first."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.bot.hardening.test_personal_data import admin
from tests.conftest import run_console


def test_an_export_written_over_a_world_readable_file_is_owner_only(tmp_path: Path) -> None:
    run_console(tmp_path, ["start", "2"])
    target = tmp_path / "case1.json"
    target.write_text("an older export\n", encoding="utf-8")
    os.chmod(target, 0o644)
    exported = admin(tmp_path, "export-case", "--case", "1", "--out", str(target))
    assert exported.returncode == 0, exported.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert '"case"' in target.read_text(encoding="utf-8")
