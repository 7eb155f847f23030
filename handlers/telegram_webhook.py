"""``POST /telegram/webhook``: verify, parse, store, then answer Telegram.

Written instead of aiogram's SimpleRequestHandler so a malformed body gets a 400 (not a
500 that Telegram would retry forever) and the update is stored before the 200.
"""

from __future__ import annotations

import hmac
import json

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def add_telegram_webhook(app: web.Application, *, dispatcher: Dispatcher, bot: Bot,
                         secret: str, path: str = "/telegram/webhook") -> None:
    async def telegram_webhook(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if secret and not hmac.compare_digest(given.encode(), secret.encode()):
            return web.json_response({"error": "bad secret token"}, status=401)
        try:
            update = Update.model_validate(json.loads(await request.read()), context={"bot": bot})
        except (ValueError, ValidationError):  # JSONDecodeError and UnicodeError are ValueErrors
            return web.json_response({"error": "malformed update"}, status=400)
        await dispatcher.feed_update(bot, update)
        return web.json_response({})

    app.router.add_post(path, telegram_webhook)
