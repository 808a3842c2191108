"""Slack's rate limits on the Web API client: wait as Slack asks, a bounded number of times.

Why slack_sdk's own handler, bounded twice: a 429 names in ``Retry-After`` how long to wait, and
``AsyncRateLimitErrorRetryHandler`` waits exactly that before trying again, so a short burst
costs a second or two and nobody notices. But while a post waits, the delivery runtime holds its
conversation's queue (nothing may overtake it), so a long wait would hold every later reply of
that conversation and a sender thread: at most :data:`MAX_RETRIES` tries, and none when Slack
asks for more than :data:`MAX_WAIT_S`. What still does not go out is handed back to the runtime
(``NotNow``, ``bot.slack.delivery``), which keeps it at the head of its conversation's queue in
the outbox and tries again later, in order.
"""

from __future__ import annotations

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

MAX_RETRIES = 2
MAX_WAIT_S = 10


def _retry_after(response: HttpResponse) -> int | None:
    for name, value in response.headers.items():
        if name.lower() == "retry-after":
            first = value[0] if isinstance(value, list) else value
            return int(first) if str(first).strip().isdigit() else None
    return None


class BoundedRateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """Retry a 429 after its ``Retry-After``, unless that is longer than ``max_wait_s``."""

    def __init__(self, max_retry_count: int = MAX_RETRIES, max_wait_s: int = MAX_WAIT_S) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait_s = max_wait_s

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: HttpResponse | None = None,
                               error: Exception | None = None) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = _retry_after(response)
        return wait is None or wait <= self.max_wait_s


def retry_handlers() -> list[AsyncRetryHandler]:
    """slack_sdk's default (one retry of a dropped connection) plus the bounded rate limit."""
    return [AsyncConnectionErrorRetryHandler(), BoundedRateLimitRetry()]
