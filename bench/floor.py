"""``python -m bench.floor``: the floor the durable relay is measured against.

The least a relay can do with the same libraries: no store, no outbox, no retries, no rate
limits. A customer's message is posted to Slack inside the webhook request (aiogram's
``SimpleRequestHandler`` with ``handle_in_background=False``, Slack's ``chat_postMessage``
on a shared session); an operator's thread reply goes through a bolt app (signature checked)
straight to ``Bot.send_message``. Threads live in a dict and die with the process.

Configured by the same variables as the bot (``PORT``, ``TELEGRAM_*``, ``SLACK_*``).
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


class Threads:
    """chat id ↔ thread ts, in memory; the first message of a chat opens its thread."""

    def __init__(self, slack: AsyncWebClient, channel: str) -> None:
        self.slack, self.channel = slack, channel
        self.by_chat: dict[int, str] = {}
        self.by_ts: dict[str, int] = {}
        self._opening: dict[int, asyncio.Lock] = {}

    async def thread_of(self, chat_id: int, name: str) -> str:
        if (ts := self.by_chat.get(chat_id)) is not None:
            return ts
        async with self._opening.setdefault(chat_id, asyncio.Lock()):
            if chat_id not in self.by_chat:
                root = await self.slack.chat_postMessage(channel=self.channel,
                                                         text=f"New conversation: {name}")
                self.by_chat[chat_id], self.by_ts[str(root["ts"])] = str(root["ts"]), chat_id
        return self.by_chat[chat_id]


def telegram_router() -> Router:
    router = Router(name="floor")

    @router.message()
    async def relay_in(message: Message, slack: AsyncWebClient, threads: Threads) -> None:
        ts = await threads.thread_of(message.chat.id, message.chat.first_name or "")
        await slack.chat_postMessage(channel=threads.channel, thread_ts=ts,
                                     text=message.text or "")

    return router


def slack_app(slack: AsyncWebClient, secret: str, bot: Bot, threads: Threads) -> AsyncApp:
    app = AsyncApp(client=slack, signing_secret=secret, process_before_response=True)

    @app.event("message")
    async def relay_out(event: Mapping[str, Any]) -> None:
        chat_id = threads.by_ts.get(str(event.get("thread_ts") or ""))
        if chat_id is not None and event.get("user") and not event.get("bot_id"):
            await bot.send_message(chat_id, str(event.get("text") or ""))

    return app


async def serve(env: Mapping[str, str]) -> None:
    http = aiohttp.ClientSession()
    slack = AsyncWebClient(token=env["SLACK_BOT_TOKEN"], base_url=env["SLACK_API_BASE"],
                           session=http, retry_handlers=[])
    bot = Bot(env["TELEGRAM_BOT_TOKEN"], session=AiohttpSession(
        api=TelegramAPIServer.from_base(env["TELEGRAM_API_BASE"])))
    threads = Threads(slack, env["SLACK_CHANNEL"])
    dispatcher = Dispatcher(slack=slack, threads=threads)
    dispatcher.include_router(telegram_router())
    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, handle_in_background=False,
                         secret_token=env["TELEGRAM_WEBHOOK_SECRET"]).register(
        app, path="/telegram/webhook")
    bolt = slack_app(slack, env["SLACK_SIGNING_SECRET"], bot, threads)

    async def slack_events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "threads": len(threads.by_chat)})

    app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await web.TCPSite(runner, env.get("HOST", "127.0.0.1"), int(env["PORT"])).start()
        await stop.wait()
    finally:
        await runner.cleanup()
        await bot.session.close()
        await http.close()


if __name__ == "__main__":
    asyncio.run(serve(os.environ))
