"""Identifiers generated across the whole space of their standards (hypothesis): every valid one
is kept and every invalid one refused, with the check characters computed here, independently
of python-stdnum and of ``handlers.validators``.

- 居民身份证号码 (GB 11643-1999): every province, every region code python-stdnum's table has
  ever held under it (whatever years it was in force: the code is the one in force when the
  number was assigned, never checked against the birth year), births from 1930 to today.
- 统一社会信用代码 (GB 32100-2015 and its additions): every registration authority and every
  organisation category of its table, any region, any organisation code with its GB 11714 check.
"""

from __future__ import annotations

import contextlib
import string
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers import validators as v
from handlers.flow import FIELDS, Kind
from handlers.validators import Invalid

TODAY = v.today({})
CONTEXT: dict[str, Any] = {v.TODAY: TODAY}
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- the standards, written out here ------------------------------------------------------
def mod_11_2(body: str) -> str:
    """GB 11643-1999 校验码: ISO 7064 MOD 11-2 over the 17 digits (weights 2^(17-i) mod 11)."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(body))
    return "10X98765432"[total % 11]


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""GB 32100-2015: digits and capitals without I, O, Z, S, V; a character's value is its index."""


def uscc_check(body: str) -> str:
    """GB 32100-2015 校验码: weights 3^i mod 31, check value 31 - (sum mod 31), 31 read as 0."""
    total = sum(USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def gb_11714_check(body: str) -> str:
    """GB 11714-1997: weights 3 7 9 10 5 8 4 2, check 11 - (sum mod 11); 10 is X, 11 is 0."""
    values = [int(c) if c.isdigit() else ord(c) - ord("A") + 10 for c in body]
    check = 11 - sum(a * w for a, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


AUTHORITIES: dict[str, str] = {
    "1": "1239", "2": "19", "3": "123459", "4": "19", "5": "1239", "6": "129", "7": "129",
    "8": "19", "9": "123", "A": "19", "N": "1239", "Y": "1",
}
"""GB 32100's 登记管理部门 and their 机构类别 (机构编制, 外交, 司法行政, 文化, 民政, 旅游, 宗教,
工会, 工商, 中央军委改革和编制办公室, 农业, 其他)."""


@cache
def regions() -> dict[str, tuple[str, ...]]:
    """Province (2 digits) → every 6-digit code ever listed under it, read from the text of
    python-stdnum's ``cn/loc.dat`` (GB/T 2260 since 1980, from Wikipedia)."""
    table: dict[str, list[str]] = {}
    province = ""
    text = resources.files("stdnum").joinpath("cn/loc.dat").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line[:2].isdigit():
            province = line[:2]
            table[province] = []
        elif line.startswith("  ") and line[2:6].isdigit():
            table[province].append(province + line[2:6])
    return {p: tuple(codes) for p, codes in table.items()}


def births(low: date = date(1930, 1, 1), high: date = TODAY) -> st.SearchStrategy[date]:
    return st.dates(min_value=low, max_value=high)


@st.composite
def resident_ids(draw: st.DrawFn, *, birth: st.SearchStrategy[date] | None = None) -> str:
    province = draw(st.sampled_from(sorted(regions())))
    region = draw(st.sampled_from(regions()[province]))
    born = draw(births() if birth is None else birth)
    body = f"{region}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return body + mod_11_2(body)


@st.composite
def credit_codes(draw: st.DrawFn, *, authority: st.SearchStrategy[str] | None = None) -> str:
    first = draw(st.sampled_from(sorted(AUTHORITIES)) if authority is None else authority)
    category = draw(st.sampled_from(AUTHORITIES.get(first, USCC_ALPHABET)))
    region = draw(st.one_of(  # the registering office's: national (100000), or in a province
        st.just("100000"),
        st.builds(str.__add__, st.sampled_from(sorted(regions())),
                  st.from_regex(r"[0-9]{4}", fullmatch=True))))
    organisation = draw(st.text(USCC_ALPHABET, min_size=8, max_size=8))
    check = gb_11714_check(organisation)
    body = f"{first}{category}{region}{organisation}{check}"
    return body + uscc_check(body)


# -- resident ID numbers ------------------------------------------------------------------
def test_every_region_code_ever_listed_in_every_province_is_kept_for_a_holder_born_in_1930() -> None:
    assert len(regions()) == 34  # 31 provinces, Taiwan, Hong Kong, Macao
    for codes in regions().values():
        for region in codes:
            number = ric(region, date(1930, 1, 1))
            assert v.resident_id(number, CONTEXT) == number, region


def ric(region: str, born: date, sequence: int = 123) -> str:
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    return body + mod_11_2(body)


IMPOSSIBLE_DATES = st.one_of(
    st.tuples(st.integers(1930, 2025), st.sampled_from([0, 13, 19, 99]), st.integers(1, 28)),
    st.tuples(st.integers(1930, 2025), st.integers(1, 12), st.sampled_from([0, 32, 40, 99])),
    st.tuples(st.sampled_from([1931, 1999, 2001, 2023]), st.just(2), st.just(29)),
    st.tuples(st.integers(1930, 2025), st.sampled_from([4, 6, 9, 11]), st.just(31)))


@SETTINGS
@given(resident_ids(), st.data())
def test_resident_ids_across_the_standard_valid_kept_invalid_refused(
        number: str, data: st.DataObject) -> None:
    assert v.resident_id(number, CONTEXT) == number
    assert v.resident_id_advice(number) == ()

    def refused(candidate: str) -> str:
        with pytest.raises(Invalid) as caught:
            v.resident_id(candidate, CONTEXT)
        return caught.value.key

    wrong = data.draw(st.sampled_from([c for c in "0123456789X" if c != number[-1]]))
    assert refused(number[:-1] + wrong) == "err.ric_check"
    year, month, day = data.draw(IMPOSSIBLE_DATES)
    body = f"{number[:6]}{year:04d}{month:02d}{day:02d}{number[14:17]}"
    assert refused(body + mod_11_2(body)) == "err.ric_birth"
    later = data.draw(births(TODAY + timedelta(days=1), date(2099, 12, 31)))
    assert refused(ric(number[:6], later)) == "err.ric_birth_future"
    province = data.draw(st.from_regex(r"[0-9]{2}", fullmatch=True).filter(lambda p: p not in regions()))
    body = province + number[2:17]
    if body[:6] in v.EXTRA_REGION_CODES:  # 830000: a residence permit's code, though 83 is no province
        body = province + "0101" + number[6:17]
    assert refused(body + mod_11_2(body)) == "err.ric_region"
    # A code the table lacks, under this real province: kept, with a line to double-check it.
    rest = data.draw(st.from_regex(r"[0-9]{4}", fullmatch=True).filter(
        lambda r: number[:2] + r not in regions()[number[:2]] + tuple(v.EXTRA_REGION_CODES)))
    body = number[:2] + rest + number[6:17]
    assert v.resident_id(body + mod_11_2(body), CONTEXT) == body + mod_11_2(body)
    assert [a.key for a in v.resident_id_advice(body + mod_11_2(body))] == ["warn.ric_region"]


# -- unified social credit codes ----------------------------------------------------------
def test_every_authority_and_category_of_the_table_is_kept_without_a_warning() -> None:
    pairs = [(a, c) for a, cs in AUTHORITIES.items() for c in cs]
    assert len(pairs) == 36
    for authority, category in pairs:
        body = f"{authority}{category}110105MA01B2C3" + gb_11714_check("MA01B2C3")
        code = body + uscc_check(body)
        assert v.uscc_number(code, CONTEXT) == code
        assert v.uscc_advice(code) == ()


@SETTINGS
@given(credit_codes(), st.data())
def test_credit_codes_across_the_standard_valid_kept_invalid_refused(
        code: str, data: st.DataObject) -> None:
    assert v.uscc_number(code, CONTEXT) == code
    assert v.uscc_advice(code) == ()

    def refused(candidate: str) -> str:
        with pytest.raises(Invalid) as caught:
            v.uscc_number(candidate, CONTEXT)
        return caught.value.key

    wrong = data.draw(st.sampled_from([c for c in USCC_ALPHABET if c != code[-1]]))
    assert refused(code[:-1] + wrong) == "err.uscc_check"
    inside = data.draw(st.sampled_from([c for c in "0123456789X" if c != code[16]]))
    body = code[:16] + inside
    assert refused(body + uscc_check(body)) == "err.uscc_org_code"
    # An authority the table does not list: kept (the check fits), with a line to double-check.
    first = data.draw(st.sampled_from(sorted(set(USCC_ALPHABET) - set(AUTHORITIES))))
    body = first + code[1:17]
    assert v.uscc_number(body + uscc_check(body), CONTEXT) == body + uscc_check(body)
    assert [a.key for a in v.uscc_advice(body + uscc_check(body))] == ["warn.uscc_authority"]


# -- nothing but a sentence ---------------------------------------------------------------
TEXT_FIELDS = sorted(k for k, f in FIELDS.items() if f.kind is Kind.TEXT and f.validate)
NEAR_RESIDENT_IDS = st.builds(ric, st.from_regex(r"[0-9]{6}", fullmatch=True), births(),
                              st.integers(0, 999))
"""Any six digits as the region, with a real date and the right check character."""


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(TEXT_FIELDS), st.one_of(
    st.text(max_size=40),
    st.text(string.digits + "X", min_size=18, max_size=18),
    st.text(USCC_ALPHABET, min_size=18, max_size=18),
    NEAR_RESIDENT_IDS))
def test_no_validator_lets_anything_but_a_reason_out(key: str, text: str) -> None:
    validate = FIELDS[key].validate
    assert validate is not None
    with contextlib.suppress(Invalid):  # a reason is fine; any other exception fails
        validate(text, CONTEXT)
