"""Issue 26 through ``esignbot console`` (a real process, piped stdin, the SQLite file opened
again afterwards): identifiers as strict as their standards and no stricter, junk refused with a
sentence and never stored.

- a resident ID from a district younger than its holder (浦东新区 310115, born 1980) is kept;
- one whose region code the table lacks, under a real province, is kept with a line asking to
  double-check it (it used to be "something went wrong" on every try);
- credit codes of the registration authorities N (农业) and Y (其他) are kept;
- ``ops😀@example.com`` is refused, naming the character;
- a multi-megabyte JPEG and PNG cut in half are refused and nothing reaches the ``files`` table;
- an app name of 60 characters (the unsourced cap was 50) is kept.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.bot.console.test_walks import EMAIL_ROUTE, STAGE_1_VERIFIED
from tests.conftest import noisy_jpeg, noisy_png, run_console
from tests.handlers.test_identifier_properties import gb_11714_check, mod_11_2, uscc_check

INDIVIDUAL = [*STAGE_1_VERIFIED, "2", "2", "91110000802100433B", "王五"]
"""Offline real-name, an individual business, its credit code, the operator's name; the
operator's resident ID number is asked next."""
SOMETHING_WRONG = "出了点问题"


def ric(region: str, born: str) -> str:
    body = f"{region}{born}123"
    return body + mod_11_2(body)


def uscc(first8: str, organisation: str = "MA01B2C3") -> str:
    body = first8 + organisation + gb_11714_check(organisation)
    return body + uscc_check(body)


def answers(db: Path) -> dict[str, object]:
    with sqlite3.connect(db) as conn:
        return {f: json.loads(v) for f, v in conn.execute("SELECT field, value FROM answers")}


def files(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM files").fetchone()[0])


def test_an_older_holder_of_a_young_district_code_and_junk_email_and_cut_photos(
        tmp_path: Path) -> None:
    jpeg, png = noisy_jpeg(), noisy_png()
    assert len(jpeg) > 2**21 and len(png) > 2**21  # phone-photo sized, made now
    half_jpeg, half_png = tmp_path / "licence-half.jpg", tmp_path / "licence-half.png"
    half_jpeg.write_bytes(jpeg[: len(jpeg) // 2])
    half_png.write_bytes(png[: len(png) // 2])
    pudong_1980 = ric("310115", "19800101")
    out = run_console(tmp_path, [*INDIVIDUAL, pudong_1980, "13812345678", "ops😀@example.com",
                                 "ops@example.com", str(half_jpeg), str(half_png), "status"])
    assert "✔ 已保存「经营者身份证号」" in out and "地区码" not in out
    assert "邮箱地址只能用英文字母、数字和 . _ - + 等 ASCII 字符，「😀」（U+1F600）不行" in out
    assert "✔ 已保存「组织邮箱」：ops@example.com" in out
    assert out.count("这张图片不完整或已损坏（读不到结尾），所以没有保存。") == 2
    assert "已保存「营业执照/证件照片」" not in out and SOMETHING_WRONG not in out
    stored = answers(tmp_path / "esignbot.db")
    assert stored["operator_id_number"] == pudong_1980
    assert stored["org_email"] == "ops@example.com"
    assert "license_image" not in stored
    assert files(tmp_path / "esignbot.db") == 0


def test_an_unlisted_region_code_is_kept_with_a_line_to_double_check_it(tmp_path: Path) -> None:
    unlisted = ric("119999", "19900101")
    out = run_console(tmp_path, [*INDIVIDUAL, unlisted, "status"])
    assert "✔ 已保存「经营者身份证号」" in out
    assert "⚠ 已保存，但请再核对一下：身份证号的地区码（前 6 位）不在我们所带的行政区划代码表中" in out
    assert SOMETHING_WRONG not in out
    assert answers(tmp_path / "esignbot.db")["operator_id_number"] == unlisted


def test_credit_codes_of_the_authorities_n_and_y_are_kept(tmp_path: Path) -> None:
    rural, other = uscc("N2310115"), uscc("Y1440300")
    for folder, code in (("n", rural), ("y", other)):
        (tmp_path / folder).mkdir()
        out = run_console(tmp_path / folder, [*STAGE_1_VERIFIED, "2", "1", code])
        assert f"✔ 已保存「统一社会信用代码」：{code}" in out
        assert answers(tmp_path / folder / "esignbot.db")["uscc"] == code


def test_an_app_name_longer_than_the_unsourced_50_is_kept(tmp_path: Path) -> None:
    name = "在线签署劳动合同与入职材料的企业服务平台" * 3  # 60 characters
    out = run_console(tmp_path, [*STAGE_1_VERIFIED, "1", "2", "3", EMAIL_ROUTE, name])
    assert f"✔ 已保存「应用名称」：{name}" in out
    assert answers(tmp_path / "esignbot.db")["app_name"] == name
