"""One mapping from Slack client failures to the outbox's retryable/permanent errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.errors import DeliveryError, PermanentError, RetryableError

T = TypeVar("T")
_RETRYABLE = {"ratelimited", "rate_limited", "internal_error", "fatal_error",
              "service_unavailable", "request_timeout"}
_HUMAN = {
    "channel_not_found": "the Slack channel does not exist or the bot cannot see it",
    "not_in_channel": "the bot is not a member of the Slack channel (invite it)",
    "is_archived": "the Slack channel is archived",
    "msg_too_long": "the message is too long for Slack",
    "invalid_auth": "Slack rejected the bot token",
    "not_authed": "Slack rejected the bot token",
    "account_inactive": "the Slack bot token belongs to a deactivated app",
    "message_not_found": "the Slack message no longer exists",
    "file_not_found": "Slack no longer has the file (or does not share it with the bot)",
    "file_deleted": "the file was deleted in Slack",
    "missing_scope": "the Slack app lacks a permission it needs (see its scopes)",
}


def _retry_after(exc: SlackApiError) -> float | None:
    value = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def slack_error(exc: Exception) -> DeliveryError:
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        code = str((exc.response.data or {}).get("error", f"http_{status}"))
        if status == 429:
            return RetryableError("Slack rate limit", retry_after=_retry_after(exc),
                                  code="ratelimited")
        if status >= 500 or code in _RETRYABLE:
            return RetryableError(f"Slack is unavailable (HTTP {status})", code=f"http_{status}")
        return PermanentError(_HUMAN.get(code, f"Slack answered {code}"), code=code)
    if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError, SlackClientError,
                        ConnectionError)):
        return RetryableError(f"could not reach Slack ({type(exc).__name__})", code="network")
    raise exc


async def calling_slack(call: Awaitable[T]) -> T:
    """Await a Slack client call, translating its failures for the outbox."""
    try:
        return await call
    except Exception as exc:
        raise slack_error(exc) from exc
