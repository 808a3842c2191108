"""The offline materials package: a zip of the organisation type's fields and the uploaded image,
reopened after every build; through ``esignbot console`` and from the builder."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bot.files.materials import MaterialsIncomplete, build_materials_package
from handlers.services import PackageImage
from tests.conftest import noisy_jpeg, png_bytes, run_console

STAGE_1 = ["2", "1", "100016315204", "腾讯科技（深圳）有限公司"]
ENTERPRISE = ["2", "1", "9144030071526726XG", "张三", "李四", "13812345678", "ops@example.com"]
INDIVIDUAL = ["offline", "个体工商户", "110108000000016", "王五", "11010519491231002X",
              "010-12345678-123", "shop@example.com"]
JPEG = noisy_jpeg(32, 24)  # a real one: the licence photo is decoded to its end (issue 26)


def out_files(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "out"
    return sorted(folder.iterdir()) if folder.exists() else []


def open_package(content: bytes) -> tuple[dict[str, bytes], list[tuple[Any, ...]]]:
    """The zip's members, and the rows of the workbook inside it (cells checked to be text)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        members = {name: archive.read(name) for name in archive.namelist()}
    [sheet_name] = [n for n in members if n.endswith(".xlsx")]
    sheet = openpyxl.load_workbook(io.BytesIO(members[sheet_name])).active
    assert sheet is not None
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value is not None)
    return members, [tuple(c.value for c in row) for row in sheet.iter_rows()]


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "licence.png"
    path.write_bytes(png_bytes(3, 2))
    return path


def test_enterprise_package_through_the_console(tmp_path: Path, image: Path) -> None:
    out = run_console(tmp_path, [*STAGE_1, *ENTERPRISE, str(image), "材料"])
    assert "线下补充实名认证材料包" in out
    [package] = out_files(tmp_path)
    assert re.fullmatch(r"腾讯科技（深圳）有限公司-补充实名认证材料-20\d{6}-案例1-正式\.zip", package.name)
    members, rows = open_package(package.read_bytes())
    assert sorted(members) == sorted([package.name.removesuffix("-案例1-正式.zip") + ".xlsx", "多合一营业执照.png"])
    assert members["多合一营业执照.png"] == image.read_bytes()
    assert rows == [
        ("项目", "内容"),
        ("企业名称", "腾讯科技（深圳）有限公司"),
        ("主账号 UIN", "100016315204"),
        ("组织类型", "企业"),
        ("统一社会信用代码", "9144030071526726XG"),
        ("法人代表", "张三"),
        ("组织联系人", "李四"),
        ("联系方式", "13812345678"),
        ("组织邮箱", "ops@example.com"),
        ("营业执照/证件照片", "多合一营业执照.png"),
    ]


def test_individual_business_package_has_the_full_resident_id(tmp_path: Path) -> None:
    photo = tmp_path / "执照.jpg"
    photo.write_bytes(JPEG)
    run_console(tmp_path, [*STAGE_1, *INDIVIDUAL, str(photo), "materials"], "--lang", "en")
    [package] = out_files(tmp_path)
    members, rows = open_package(package.read_bytes())
    assert members["营业执照.jpg"] == JPEG
    assert ("营业执照注册号", "110108000000016") in rows
    assert ("经营者身份证号", "11010519491231002X") in rows  # not masked: it is for Tencent
    assert ("联系方式", "010-12345678-123") in rows
    assert ("统一社会信用代码", None) not in rows and len(rows) == 10


def test_missing_fields_and_image_are_named_and_nothing_is_built(tmp_path: Path) -> None:
    out = run_console(tmp_path, [*STAGE_1, "2", "1", "9144030071526726XG", "材料"])
    assert "还不能打包线下材料，缺少：法人代表、组织联系人、联系方式、组织邮箱、多合一营业执照" in out
    out = run_console(tmp_path, ["张三", "李四", "13812345678", "ops@example.com", "materials"],
                      "--lang", "en")
    assert "missing: all-in-one business licence" in out
    assert out_files(tmp_path) == []


def test_before_the_organisation_type_only_it_is_named(tmp_path: Path) -> None:
    out = run_console(tmp_path, [*STAGE_1, "2", "材料"])
    assert "缺少：组织类型、组织邮箱" in out
    assert out_files(tmp_path) == []


def test_online_route_and_no_route_need_no_materials(tmp_path: Path) -> None:
    out = run_console(tmp_path, [*STAGE_1, "材料"])
    assert "还没有选择认证方式" in out
    out = run_console(tmp_path, ["1", "材料"])
    assert "线上补充实名认证，不需要线下材料" in out
    assert out_files(tmp_path) == []


# -- the builder --------------------------------------------------------------------------
GOVERNMENT: dict[str, Any] = {
    "environment": "prod", "enterprise_name": "某市人民医院", "uin": "100016315204",
    "realname_route": "offline",
    "org_type": "government", "cert_type": "institution_cert", "cert_number": "110000001234",
    "legal_rep": "赵六", "contact_name": "钱七", "contact_phone": "010-12345678",
    "org_email": "gov@example.gov.cn",
    "license_image": {"file_id": "f", "name": "cert.png", "mime": "image/png", "size": 10},
}


def test_government_package_names_the_certificate_type() -> None:
    image = PackageImage("certificate_image", "cert.png", "image/png", png_bytes())
    built = build_materials_package(GOVERNMENT, [image], date(2026, 3, 2))
    assert built.name == "某市人民医院-补充实名认证材料-20260302.zip" and built.mime == "application/zip"
    members, rows = open_package(built.content)
    assert members["证件照片.png"] == png_bytes()
    assert ("证件类型", "事业单位法人证书") in rows and ("证件号码", "110000001234") in rows


def test_other_organisation_with_formula_like_name_stays_text() -> None:
    answers = {**GOVERNMENT, "org_type": "other", "org_code": "71526726-X",
               "enterprise_name": "=HYPERLINK(\"x\")协会"}
    image = PackageImage("org_code_image", "c.png", "image/png", png_bytes())
    built = build_materials_package(answers, [image], date(2026, 3, 2))
    assert built.name.startswith("=HYPERLINK(_x_)协会-")  # quotes are not allowed in names
    members, rows = open_package(built.content)
    assert "组织机构代码证或社会团体登记证书.png" in members
    assert ("企业名称", "=HYPERLINK(\"x\")协会") in rows and ("组织机构代码", "71526726-X") in rows


def test_builder_refuses_without_the_image_or_a_field() -> None:
    with pytest.raises(MaterialsIncomplete) as missing:
        build_materials_package(GOVERNMENT, [], date(2026, 3, 2))
    assert missing.value.missing == ["license_image"]
    answers = {k: v for k, v in GOVERNMENT.items() if k != "legal_rep"}
    with pytest.raises(MaterialsIncomplete) as missing:
        build_materials_package(answers, [], date(2026, 3, 2))
    assert missing.value.missing == ["legal_rep", "license_image"]
