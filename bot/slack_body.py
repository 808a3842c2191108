"""Refuse a Slack request whose body bolt cannot read, before bolt reads it.

Why: ``slack_bolt`` parses the body (JSON, or a form whose ``payload`` is JSON) while building
its request object, before it checks the signature; a body that is not what Slack sends made it
raise, and the caller got a 500 with a traceback in the log. Here the signature is checked
first (401, as bolt would), then the shape (400), so only well-formed signed bodies reach bolt.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response


def _is_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _well_formed(body: bytes, content_type: str) -> bool:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if content_type.startswith("application/json"):
        return _is_object(text)
    if not text:
        return False
    try:
        form = parse_qs(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return False
    payload = form.get("payload")
    return payload is None or (len(payload) == 1 and _is_object(payload[0]))


async def refusal(request: Request, signing_secret: str | None) -> Response | None:
    """A 401 or 400 for a request Slack did not send or bolt cannot parse; None to go on."""
    body = await request.body()  # cached by Starlette: bolt's handler reads the same bytes
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:  # Slack sends UTF-8; the signature check could not even read it
        return PlainTextResponse("malformed request", status_code=400)
    if signing_secret is not None:
        verifier = SignatureVerifier(signing_secret)
        if not verifier.is_valid_request(body, dict(request.headers)):
            return PlainTextResponse("invalid request", status_code=401)
    if not _well_formed(body, request.headers.get("content-type", "")):
        return PlainTextResponse("malformed request", status_code=400)
    return None
