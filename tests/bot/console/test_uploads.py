"""Through ``esignbot console`` (a real process, piped stdin): a licence photo typed as a path
arrives whole and is packed byte for byte; a file over 10 MB is refused with its real size; the
workbook, the materials zip and the database are owner-only whatever the umask; a name with an
invisible line separator in a piped line is refused and nothing is stored."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot.console.test_walks import PROD_STAGE_3, STAGE_1_VERIFIED
from tests.conftest import noisy_jpeg, noisy_png, run_console

OFFLINE = ["2", "1", "9144030071526726XG"]
"""offline real-name, an enterprise, its credit code; then the legal representative's name."""
AFTER_NAME = ["李四", "13812345678", "ops@example.com"]


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which a plain ``write_bytes`` makes a world-readable file."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def written(out: str) -> list[Path]:
    return [Path(line.split("→", 1)[1].strip()) for line in out.splitlines() if "→" in line]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def zipped_images(path: Path) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        return [hashlib.sha256(archive.read(name)).hexdigest() for name in archive.namelist()
                if name.lower().endswith((".png", ".jpg", ".jpeg"))]


def test_photos_arrive_whole_and_every_file_written_is_owner_only(
        tmp_path: Path, umask_022: None) -> None:
    png, jpeg = tmp_path / "licence.png", tmp_path / "licence.jpg"
    png.write_bytes(noisy_png())
    jpeg.write_bytes(noisy_jpeg())
    db = tmp_path / "esignbot.db"
    out = run_console(tmp_path, [*STAGE_1_VERIFIED, *OFFLINE, "张三", *AFTER_NAME, str(png),
                                 "2", "3", *PROD_STAGE_3, "1", "excel", "materials"])
    assert "已保存「多合一营业执照」" in out
    png_digest = hashlib.sha256(png.read_bytes()).hexdigest()
    stored = rows(db, "SELECT id, size, data FROM files")
    assert [(i, n, hashlib.sha256(d).hexdigest()) for i, n, d in stored] == [  # type: ignore[arg-type]
        (png_digest, png.stat().st_size, png_digest)]
    files = written(out)
    workbook = next(p for p in files if p.suffix == ".xlsx")
    package = next(p for p in files if p.suffix == ".zip")
    assert zipped_images(package) == [png_digest]
    # Resident ID and phone numbers are in these: readable by their owner only.
    assert (mode(workbook), mode(package), mode(db)) == (0o600, 0o600, 0o600)
    assert not [p for p in package.parent.iterdir() if p.name.endswith(".part")]

    # A JPEG in place of the PNG, and the materials written again over the first zip.
    os.chmod(package, 0o644)
    out = run_console(tmp_path, ["edit license_image", str(jpeg), "materials"])
    jpeg_digest = hashlib.sha256(jpeg.read_bytes()).hexdigest()
    value = json.loads(str(rows(db, "SELECT value FROM answers WHERE field = 'license_image'")[0][0]))
    assert (value["file_id"], value["size"]) == (jpeg_digest, jpeg.stat().st_size)
    again = next(p for p in written(out) if p.suffix == ".zip")
    assert zipped_images(again) == [jpeg_digest] and mode(again) == 0o600


def test_a_file_over_10_mb_and_a_name_with_a_line_separator_are_refused(tmp_path: Path) -> None:
    huge = tmp_path / "huge.png"
    huge.write_bytes(noisy_png(2000, 1900))  # a real PNG of 10.9 MB
    db = tmp_path / "esignbot.db"
    # U+2028 inside a piped line: Python's line iteration splits on "\n" only, so the line
    # reaches the name check whole (str.splitlines would have split it).
    assert len("张\u2028三\n".splitlines()) == 2
    out = run_console(tmp_path, [*STAGE_1_VERIFIED, *OFFLINE, "张\u2028三", "张三", *AFTER_NAME,
                                 str(huge)])
    assert "名称里有看不见的字符或排版字符（U+2028），请删掉后重新输入。" in out
    assert "图片太大：10.9 MB，最多 10 MB。" in out and "10.0 MB" not in out
    answers = dict(rows(db, "SELECT field, value FROM answers"))
    assert json.loads(str(answers["legal_rep"])) == "张三"
    assert "license_image" not in answers
    assert rows(db, "SELECT count(*) FROM files") == [(0,)]
    assert not [v for (v,) in rows(db, "SELECT value FROM history") if "\u2028" in str(v)]
    assert "\\u2028" not in json.dumps([v for (v,) in rows(db, "SELECT value FROM history")])
