"""Refuse a Slack request that Slack did not sign or bolt cannot read, before bolt acts on it.

Why: ``slack_bolt`` parses the body (JSON, or a form whose ``payload`` is JSON) while building
its request object, before it checks the signature; a body that is not what Slack sends made it
raise, and the caller got a 500 with a traceback in the log. Here the signature is checked first
(401, as bolt would), then bolt's own request object is built from the body (400 when it cannot
be), then the fields bolt and our listeners read are checked for their types
(``bot.slack.shapes``, 400 otherwise), and that object is what bolt dispatches: the body is
parsed once, by bolt's own rules. The signature headers are checked for their form before
slack_sdk reads them: it converts the timestamp with ``int()`` and compares digests with
``hmac.compare_digest``, which raise on letters, 400 digits or non-ASCII text — a 500 that
anyone could cause without knowing the secret.
"""

from __future__ import annotations

import logging
import re

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.slack import shapes

log = logging.getLogger("esignbot.slack")

TIMESTAMP = re.compile(r"[0-9]{1,12}")
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
r"""What Slack sends: Unix seconds, and ``v0=`` with a hex HMAC-SHA256 (ASCII only: ``\d``
would take other scripts' digits)."""


async def read_request(request: Request, signing_secret: str | None) -> AsyncBoltRequest | Response:
    """bolt's request for a signed, readable Slack request; else the 401 or 400 to answer."""
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:  # Slack sends UTF-8; the signature check could not even read it
        return PlainTextResponse("malformed request", status_code=400)
    if signing_secret is not None:
        stamp = request.headers.get("x-slack-request-timestamp", "")
        signature = request.headers.get("x-slack-signature", "")
        if not (TIMESTAMP.fullmatch(stamp) and SIGNATURE.fullmatch(signature)):
            return PlainTextResponse("invalid request", status_code=401)
        verifier = SignatureVerifier(signing_secret)
        if not verifier.is_valid(body, stamp, signature):
            return PlainTextResponse("invalid request", status_code=401)
    try:
        parsed = AsyncBoltRequest(body=text, query=request.query_params,  # type: ignore[arg-type]
                                  headers=request.headers)  # type: ignore[arg-type]
    except Exception as problem:  # JSON that is not an object, broken JSON in a form, ...
        log.info("signed Slack request bolt cannot read: %s", type(problem).__name__)
        return PlainTextResponse("malformed request", status_code=400)
    if not isinstance(parsed.body, dict):
        return PlainTextResponse("malformed request", status_code=400)
    form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    wrong = shapes.problem(parsed.body, form=form)
    if wrong is not None:
        log.info("signed Slack request of a shape we do not read: %s", wrong)
        return PlainTextResponse("malformed request", status_code=400)
    return parsed
