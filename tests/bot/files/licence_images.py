"""Licence-like photos rendered at test time (Pillow and a CJK font), with known values, and the
ways real photos go wrong: blurred, rotated, cropped, low resolution.

Why rendered and not checked in: the values must be known to the test (a code that passes its
check digit, a name, a representative), and a real licence is personal data. The layout
follows the 2019 all-in-one licence: the title, the credit code top left, then 名称, 类型,
法定代表人 and noise that must not be mistaken for them (capital, dates, the registry's URL, a
phone number of 11 digits).

The tests need the ``ocr`` extra and a CJK font (``.ci/run`` installs both): they are skipped
with the reason when either is missing, unless ``ESIGNBOT_TEST_REQUIRE_OCR`` (or ``CI``) is
set, where they fail instead, as the mailbox tests do for Dovecot.
"""

from __future__ import annotations

import importlib.util
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
INSTALL = ("pip install -e '.[test,ocr]' and apt-get install fonts-wqy-microhei "
           "(as .ci/run does)")

Variant = Literal["clean", "blurred", "rotated", "cropped", "low_res", "blank"]


@dataclass(frozen=True, slots=True)
class Licence:
    code: str = "91350100M000100Y43"
    name: str = "福州云签数据科技有限公司"
    representative: str = "张三丰"


def font_path() -> str | None:
    return next((p for p in FONT_PATHS if Path(p).exists()), None)


def missing() -> str | None:
    """Why the OCR tests cannot run here, or None."""
    if importlib.util.find_spec("rapidocr_onnxruntime") is None:
        return f"the ocr extra is not installed: {INSTALL}"
    if font_path() is None:
        return f"no CJK font to render a licence with: {INSTALL}"
    return None


def require_ocr() -> None:
    """Skip (or, in CI, fail) the calling test when OCR cannot run here."""
    import pytest

    reason = missing()
    if reason is None:
        return
    if os.environ.get("ESIGNBOT_TEST_REQUIRE_OCR") or os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def render(licence: Licence = Licence(), variant: Variant = "clean", *,
           fmt: str = "PNG", seed: int = 0) -> bytes:
    """A photo of ``licence`` as ``variant``, encoded as ``fmt`` (PNG or JPEG)."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    path = font_path()
    assert path is not None, INSTALL
    width, height = 1600, 1130
    image = Image.new("RGB", (width, height), (246 - seed % 7, 241, 228 + seed % 9))
    draw = ImageDraw.Draw(image)
    title, body, small = (ImageFont.truetype(path, size) for size in (96, 40, 28))
    draw.rectangle((30, 30, width - 30, height - 30), outline=(160, 30, 30), width=6)
    if variant != "blank":
        draw.text((width // 2 - 200, 70), "营业执照", font=title, fill=(170, 20, 20))
        draw.text((100, 230), f"统一社会信用代码  {licence.code}", font=body, fill=(20, 20, 20))
        draw.text((100, 330), f"名        称  {licence.name}", font=body, fill=(20, 20, 20))
        draw.text((100, 410), "类        型  有限责任公司（自然人投资或控股）", font=body, fill=(20, 20, 20))
        draw.text((100, 490), f"法定代表人  {licence.representative}", font=body, fill=(20, 20, 20))
        draw.text((100, 570), "经营范围  软件开发；信息技术咨询服务；电子签名技术推广", font=body,
                  fill=(20, 20, 20))
        draw.text((100, 650), "注册资本  人民币壹佰万元整    成立日期  2019年03月12日", font=body,
                  fill=(20, 20, 20))
        draw.text((100, 730), "住        所  福建省福州市鼓楼区软件大道89号  电话 13812345678",
                  font=body, fill=(20, 20, 20))
        draw.text((100, 960), "国家企业信用信息公示系统网址：www.gsxt.gov.cn", font=small,
                  fill=(70, 70, 70))
    else:
        draw.text((100, 500), "会议纪要：下周二讨论报价", font=body, fill=(20, 20, 20))
    if variant == "blurred":
        image = image.filter(ImageFilter.GaussianBlur(2.5))
    elif variant == "rotated":
        image = image.rotate(6 + seed % 3, expand=True, fillcolor=(255, 255, 255))
    elif variant == "cropped":
        # The right third and the bottom cut off: the code is cut in half.
        image = image.crop((0, 0, 640, 820))
    elif variant == "low_res":
        image = image.resize((560, 395))
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return out.getvalue()
