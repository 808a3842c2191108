"""A WeCom run: encrypted, signed callbacks into ``esignbot serve``, members taking turns.

A WeCom app belongs to one corp and the corp's members share one case, so answers to that case
are sequential by nature: the members take turns (one callback in flight), through the online
route, then ``取消`` + ``是`` and round again. Each cycle's answers must be in the history once.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.slack_load import APP_ID
from tests.fakes.wecom_callbacks import WeComCallbacks

CORP = "ww5f0c3e1b2a9d8e7f"
AGENT = 1000002
SECRET = "app-secret-for-the-bench-0123456789abcdef"
TOKEN = "QDG6eK"
AES_KEY = base64.b64encode(hashlib.sha256(b"esignbot wecom bench").digest()).decode().rstrip("=")

ROUTE: tuple[tuple[str, str | None, Any], ...] = (
    ("开始", None, None),
    ("2", "environment", "prod"),
    ("1", "has_verified_account", "yes"),
    ("100016315204", "uin", "100016315204"),
    ("腾讯科技（深圳）有限公司", "enterprise_name", "腾讯科技（深圳）有限公司"),
    ("1", "realname_route", "online"),
    ("2", "realname_status", "submitted"),
    ("3", "realname_status", "approved"),
    ("2", "app_id_route", "email"),
    ("合同助手", "app_name", "合同助手"),
    ("微信小程序", "app_type", "微信小程序"),
    ("在线签署劳动合同的小程序", "app_description", "在线签署劳动合同的小程序"),
    ("VerifyUser, CreateServerFlowSign", "whitelist_interfaces", ["VerifyUser", "CreateServerFlowSign"]),
    ("2", "app_status", "sent"),
    ("3", "app_status", "approved"),
    (APP_ID, "app_id", APP_ID),
    ("1", "key_owner", "main"),
    ("取消", None, None),
    ("是", None, None),
)
"""Text the members type, and the (field, value) each must store."""


def env(api_url: str) -> dict[str, str]:
    return {"WECOM_CORP_ID": CORP, "WECOM_AGENT_ID": str(AGENT), "WECOM_SECRET": SECRET,
            "WECOM_TOKEN": TOKEN, "WECOM_AES_KEY": AES_KEY, "WECOM_API_URL": api_url}


@dataclass
class WeComTally:
    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    acked: list[tuple[str, Any]] = field(default_factory=list)
    cycles: int = 0
    elapsed: float = 0.0


def run(base: str, seconds: float, members: int = 5, max_turns: int | None = None) -> WeComTally:
    """Members take turns until ``seconds`` have passed (or ``max_turns`` were sent)."""
    callbacks = WeComCallbacks(base, token=TOKEN, aes_key=AES_KEY, corp_id=CORP, agent_id=AGENT)
    tally = WeComTally()
    began = time.monotonic()
    deadline = began + seconds
    turn = itertools.count()
    try:
        while time.monotonic() < deadline:
            for text, field_name, value in ROUTE:
                n = next(turn)
                if time.monotonic() >= deadline or (max_turns and n >= max_turns):
                    return tally
                envelope = callbacks.seal(callbacks.text_xml(f"member{n % members}", text))
                sent = time.monotonic()
                try:
                    response = callbacks.deliver(envelope)
                    status = response.status_code
                except httpx.HTTPError as problem:
                    status = 0
                    tally.errors[type(problem).__name__] += 1
                if status != 200:
                    if status:
                        tally.errors[f"http_{status}"] += 1
                    continue
                tally.latencies.append(time.monotonic() - sent)
                tally.ok += 1
                if field_name:
                    tally.acked.append((field_name, value))
            tally.cycles += 1
    finally:
        tally.elapsed = time.monotonic() - began
        callbacks.close()
    return tally


def audit(db: Path, tally: WeComTally) -> dict[str, int]:
    """The acknowledged answers against the corp's history, as multisets."""
    with sqlite3.connect(db) as conn:
        stored = Counter((f, v) for f, v in conn.execute(
            "SELECT h.field, h.value FROM history h JOIN cases c ON c.id = h.case_id "
            "WHERE h.field IS NOT NULL AND c.conversation = ?", (f"wecom:{CORP}",)))
    sent = Counter((f, json.dumps(v, ensure_ascii=False)) for f, v in tally.acked)
    lost = sum((sent - stored).values())
    extra = sum((stored - sent).values())
    return {"answers_acknowledged": sum(sent.values()), "lost": lost, "duplicated": extra}
