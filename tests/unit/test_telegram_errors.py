from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiogram.exceptions import (
    ClientDecodeError,
    RestartingTelegram,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import SendMessage
from yarl import URL

from bot.channels.telegram.errors import delivery_error
from bot.errors import PermanentError, RetryableError

METHOD = SendMessage(chat_id=1, text="x")
TOKEN = "123456:SECRET-TOKEN-abcdefghijklmnop"


def _file_error(status: int) -> aiohttp.ClientResponseError:
    url = URL(f"https://api.telegram.org/file/bot{TOKEN}/photos/file_1.jpg")
    info = aiohttp.RequestInfo(url, "GET", headers=None, real_url=url)  # type: ignore[arg-type]
    return aiohttp.ClientResponseError(info, (), status=status, message="x")


@pytest.mark.parametrize(("exc", "kind", "code", "reason"), [
    (TelegramRetryAfter(METHOD, "Too Many Requests: retry after 5", retry_after=5),
     RetryableError, "ratelimited", "Telegram rate limit, retry in 5 s"),
    (TelegramServerError(METHOD, "Internal Server Error"),
     RetryableError, "http_5xx", "Telegram is having server trouble"),
    (RestartingTelegram(METHOD, "Bad Gateway: restarting"),
     RetryableError, "http_5xx", "Telegram is having server trouble"),
    (TelegramNetworkError(METHOD, "ClientConnectorError: Cannot connect"),
     RetryableError, "network", "could not reach Telegram (network error)"),
    (TelegramNetworkError(METHOD, "Request timeout error"),
     RetryableError, "timeout", "Telegram did not answer in time"),
    (asyncio.TimeoutError(), RetryableError, "timeout", "Telegram did not answer in time"),
    (aiohttp.ServerDisconnectedError(), RetryableError, "network",
     "could not reach Telegram (network error)"),
    (_file_error(503), RetryableError, "http_5xx", "Telegram's file server answered HTTP 503"),
    (_file_error(404), PermanentError, "http_404",
     "Telegram's file server refused the download (HTTP 404)"),
    (ClientDecodeError("Failed to decode object", ValueError(), "<html>"), RetryableError,
     "decode", "Telegram sent an answer the bot could not read"),
    (TelegramForbiddenError(METHOD, "Forbidden: bot was blocked by the user"),
     PermanentError, "blocked", "the customer blocked the bot"),
    (TelegramForbiddenError(METHOD, "Forbidden: user is deactivated"),
     PermanentError, "forbidden", "the customer's account is deleted"),
    (TelegramForbiddenError(METHOD, "Forbidden: bot can't initiate conversation with a user"),
     PermanentError, "forbidden", "Forbidden: bot can't initiate conversation with a user"),
    (TelegramBadRequest(METHOD, "Bad Request: message text is empty"),
     PermanentError, "bad_request", "Bad Request: message text is empty"),
    (TelegramBadRequest(METHOD, "Bad Request: message to delete not found"),
     PermanentError, "not_found", "the message is already gone from Telegram"),
    (TelegramBadRequest(METHOD, "Bad Request: file is too big"),
     PermanentError, "too_big", "the file is over Telegram's 20 MB download limit"),
    (TelegramUnauthorizedError(METHOD, "Unauthorized"),
     PermanentError, "unauthorized", "the Telegram bot token was rejected"),
    (TelegramNotFound(METHOD, "Not Found"), PermanentError, "not_found", "Not Found"),
    (TelegramEntityTooLarge(METHOD, "Request Entity Too Large"),
     PermanentError, "too_big", "the file is too large for Telegram"),
    (TelegramMigrateToChat(METHOD, "Bad Request: group chat was upgraded", migrate_to_chat_id=-1),
     PermanentError, "migrated", "the Telegram group was upgraded to a supergroup"),
    (TelegramConflictError(METHOD, "Conflict: terminated by other getUpdates request"),
     RetryableError, "telegram_error", "Conflict: terminated by other getUpdates request"),
    (TelegramAPIError(METHOD, "Too Many Requests"), RetryableError, "ratelimited",
     "Telegram rate limit"),
])
def test_delivery_error(exc: Exception, kind: type, code: str, reason: str) -> None:
    mapped = delivery_error(exc)
    assert (type(mapped), mapped.code, mapped.reason) == (kind, code, reason)


def test_retry_after_is_carried() -> None:
    mapped = delivery_error(TelegramRetryAfter(METHOD, "Too Many Requests", retry_after=12))
    assert mapped.retry_after == 12


@pytest.mark.parametrize("status", [404, 502])
def test_file_url_with_token_never_reaches_the_reason(status: int) -> None:
    exc = _file_error(status)
    assert TOKEN in str(exc)  # why the mapper must not use str() of aiohttp errors
    assert TOKEN not in delivery_error(exc).reason
