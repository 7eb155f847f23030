"""``POST /telegram/webhook``: verify, parse, store, then answer Telegram.

Written instead of aiogram's SimpleRequestHandler so a malformed body gets a 400 (not a
500 that Telegram would retry forever) and the update is stored before the 200.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from bot.web import Admission, admission_of

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _parse(body: bytes) -> object:
    """JSON that can be stored: lone surrogates (``"\\ud800"``) parse, but no UTF-8 store
    can keep them, so they are refused here (UnicodeEncodeError is a ValueError)."""
    data = json.loads(body)
    json.dumps(data, ensure_ascii=False).encode("utf-8")
    return data


def _secret_matches(given: str, secret: str) -> bool:
    # aiohttp decodes header bytes as UTF-8 with surrogateescape; encoding back the same way
    # gives the bytes as sent, so a non-ASCII token is one more wrong token, not a crash.
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"),
                               secret.encode("utf-8", "surrogateescape"))


def add_telegram_webhook(app: web.Application, *, dispatcher: Dispatcher, bot: Bot,
                         secret: str, path: str = "/telegram/webhook") -> None:
    app.router.add_post(path, telegram_webhook_handler(
        dispatcher=dispatcher, bot=bot, secret=secret, admission=admission_of(app)))


def telegram_webhook_handler(*, dispatcher: Dispatcher, bot: Bot, secret: str,
                             admission: Admission) -> Handler:
    """The route of one bot: each inbox's bot has its own path and its own secret."""

    async def telegram_webhook(request: web.Request) -> web.Response:
        # The secret is checked before the body is read, and a slot is taken only for an
        # update that passed: a stranger's request never waits for, or holds, a slot.
        if secret and not _secret_matches(request.headers.get(SECRET_HEADER, ""), secret):
            return web.json_response({"error": "bad secret token"}, status=401)
        body = await admission.read_body(request)
        try:
            update = Update.model_validate(_parse(body), context={"bot": bot})
        except (ValueError, ValidationError, RecursionError):
            return web.json_response({"error": "malformed update"}, status=400)
        async with admission.slot():
            await dispatcher.feed_update(bot, update)
        return web.json_response({})

    return telegram_webhook
