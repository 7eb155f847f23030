"""The one place where aiogram and aiohttp failures become :class:`bot.errors.DeliveryError`.

Reasons are shown to operators in Slack, so they are written for people. None of them is
built from ``str()`` of a transport error: aiohttp puts the request URL, and with it the
bot token, into some of its messages.
"""

from __future__ import annotations

import asyncio

import aiohttp
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from bot.errors import DeliveryError, PermanentError, RetryableError

#: What every adapter method catches and hands to :func:`delivery_error`.
TRANSPORT_ERRORS: tuple[type[Exception], ...] = (
    AiogramError, aiohttp.ClientError, asyncio.TimeoutError)

TOO_BIG_DOWNLOAD = "the file is over Telegram's 20 MB download limit"

# Telegram's description (lower-cased fragment) → (reason for operators, code).
_KNOWN: tuple[tuple[str, str, str], ...] = (
    ("bot was blocked by the user", "the customer blocked the bot", "blocked"),
    ("user is deactivated", "the customer's account is deleted", "forbidden"),
    ("file is too big", TOO_BIG_DOWNLOAD, "too_big"),
    ("message to delete not found", "the message is already gone from Telegram", "not_found"),
    ("message can't be deleted", "Telegram no longer allows deleting this message "
     "(bots can delete only messages newer than 48 hours)", "too_old"),
    ("message to edit not found", "the message no longer exists in Telegram", "not_found"),
    ("message can't be edited", "Telegram no longer allows editing this message", "too_old"),
    ("chat not found", "the customer's Telegram chat was not found", "not_found"),
    ("message is too long", "the message is too long for Telegram", "too_long"),
)


def delivery_error(exc: Exception) -> DeliveryError:
    """Map a failed Telegram call to a retryable or permanent :class:`DeliveryError`."""
    if isinstance(exc, TelegramAPIError):
        return _api_error(exc)
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return RetryableError("Telegram did not answer in time", code="timeout")
    if isinstance(exc, aiohttp.ClientResponseError):
        return _file_http_error(exc.status)
    if isinstance(exc, aiohttp.ClientError):
        return RetryableError("could not reach Telegram (network error)", code="network")
    if isinstance(exc, ClientDecodeError):
        return RetryableError("Telegram sent an answer the bot could not read", code="decode")
    return RetryableError(f"unexpected {type(exc).__name__} while talking to Telegram")


def _api_error(exc: TelegramAPIError) -> DeliveryError:
    # Subclasses first: TelegramEntityTooLarge is a TelegramNetworkError in aiogram.
    if isinstance(exc, TelegramRetryAfter):
        return RetryableError(f"Telegram rate limit, retry in {exc.retry_after} s",
                              retry_after=exc.retry_after, code="ratelimited")
    if isinstance(exc, TelegramEntityTooLarge):
        return PermanentError("the file is too large for Telegram", code="too_big")
    if isinstance(exc, TelegramNetworkError):
        return _network_error(exc)
    if isinstance(exc, TelegramServerError):
        return RetryableError("Telegram is having server trouble", code="http_5xx")
    if isinstance(exc, TelegramUnauthorizedError):
        return PermanentError("the Telegram bot token was rejected", code="unauthorized")
    if isinstance(exc, TelegramMigrateToChat):
        return PermanentError("the Telegram group was upgraded to a supergroup",
                              code="migrated")
    return _refusal(exc)


def _network_error(exc: TelegramNetworkError) -> RetryableError:
    if "timeout" in exc.message.lower():
        return RetryableError("Telegram did not answer in time", code="timeout")
    return RetryableError("could not reach Telegram (network error)", code="network")


def _refusal(exc: TelegramAPIError) -> DeliveryError:
    description = exc.message
    lowered = description.lower()
    for fragment, reason, code in _KNOWN:
        if fragment in lowered:
            return PermanentError(reason, code=code)
    if isinstance(exc, TelegramForbiddenError):
        return PermanentError(description, code="forbidden")
    if isinstance(exc, TelegramBadRequest):
        return PermanentError(description, code="bad_request")
    if isinstance(exc, TelegramNotFound):
        return PermanentError(description, code="not_found")
    if lowered.startswith("too many requests"):
        return RetryableError("Telegram rate limit", code="ratelimited")
    # An unclassified status (409, 420...): worth a few more tries before giving up.
    return RetryableError(description, code="telegram_error")


def _file_http_error(status: int) -> DeliveryError:
    if status >= 500 or status == 429:
        return RetryableError(f"Telegram's file server answered HTTP {status}",
                              code="http_5xx" if status >= 500 else "ratelimited")
    return PermanentError(f"Telegram's file server refused the download (HTTP {status})",
                          code=f"http_{status}")
