"""Receiving Telegram updates: webhook registration, or a long-polling loop.

The loop is ours rather than ``Dispatcher.start_polling`` because aiogram's confirms an
update even when handling it failed; here the offset only moves past an update once it
is stored, so a store outage delays updates instead of dropping them. Its backoff is ours
too: aiogram's ``Backoff`` draws its jitter from the global ``random`` (no seed for tests)
and its loop logs every failed try.
"""

from __future__ import annotations

import asyncio

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramRetryAfter
from aiogram.types import Update

from bot import loggers
from bot.channels.telegram.settings import TelegramSettings
from bot.lifecycle.clock import Clock
from bot.models import DEFAULT_INBOX
from bot.outage import Outage

ALLOWED_UPDATES = ["message", "edited_message"]


class TelegramRunner:
    def __init__(self, *, bot: Bot, dispatcher: Dispatcher, settings: TelegramSettings,
                 clock: Clock, polling_timeout: int = 25, inbox: str = DEFAULT_INBOX) -> None:
        self.bot, self.dispatcher, self.settings = bot, dispatcher, settings
        self.clock, self.polling_timeout, self.inbox = clock, polling_timeout, inbox
        self.outage = Outage(_described("Telegram polling", inbox), logger=loggers.channels,
                             clock=clock)
        self._offset: int | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.settings.webhook_url:
            await self._register_webhook()
        else:
            self._task = asyncio.create_task(self.poll_forever(),
                                             name=f"telegram-polling-{self.inbox}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.bot.session.close()

    async def _register_webhook(self) -> None:
        try:
            await self.bot.set_webhook(self.settings.webhook_url, allowed_updates=ALLOWED_UPDATES,
                                       secret_token=self.settings.webhook_secret or None)
            loggers.channels.info("%s registered", _described("Telegram webhook", self.inbox))
        except Exception as exc:  # keep serving; Telegram keeps the previous registration
            loggers.channels.error("could not register the %s: %s",
                                   _described("Telegram webhook", self.inbox),
                                   type(exc).__name__)

    async def poll_forever(self) -> None:
        await self._drop_webhook()
        while True:
            try:
                await self.poll_once()
            except Exception as exc:  # network, 5xx, 429, the store: wait longer each time
                retry_after = exc.retry_after if isinstance(exc, TelegramRetryAfter) else None
                await self.clock.sleep(self.outage.failed(exc, retry_after=retry_after))
            else:
                self.outage.succeeded()

    async def poll_once(self) -> None:
        """One long poll, and each update it brought handled before the offset passes it."""
        updates = await self.bot.get_updates(
            offset=self._offset, timeout=self.polling_timeout, allowed_updates=ALLOWED_UPDATES,
            request_timeout=self.polling_timeout + 10)
        for update in updates:
            await self.handle(update)
            self._offset = update.update_id + 1

    async def _drop_webhook(self) -> None:
        try:
            await self.bot.delete_webhook(drop_pending_updates=False)
        except Exception as exc:
            loggers.channels.warning("could not clear the %s: %s",
                                     _described("Telegram webhook", self.inbox),
                                     type(exc).__name__)

    async def handle(self, update: Update) -> None:
        await self.dispatcher.feed_update(self.bot, update)


def _described(what: str, inbox: str) -> str:
    """``Telegram webhook``, or ``Telegram webhook of inbox acme`` beside other inboxes."""
    return what if inbox == DEFAULT_INBOX else f"{what} of inbox {inbox}"
