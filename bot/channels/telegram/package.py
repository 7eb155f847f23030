"""The Telegram channel as a package: what it can do, and the bot serving one inbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.channels.base import (
    MB,
    Capabilities,
    ChannelParts,
    ChannelServices,
    Route,
    route_paths,
)
from bot.channels.telegram.settings import (
    TelegramSettings,
    telegram_from_env,
    telegram_from_table,
)
from bot.env_reader import EnvReader, TableReader

if TYPE_CHECKING:
    from bot.inboxes import Inbox

CAPABILITIES = Capabilities(
    text_format="html", edits=True, deletes=True,
    max_upload=50 * MB,  # Bot API uploads
    max_download=20 * MB,  # getFile
)


class TelegramPackage:
    """One Telegram bot per inbox: its webhook route or its long-polling runner."""

    name = "telegram"
    capabilities = CAPABILITIES

    def settings_from_env(self, reader: EnvReader) -> TelegramSettings:
        return telegram_from_env(reader)

    def settings_from_table(self, table: TableReader,
                            from_env: TelegramSettings) -> TelegramSettings:
        return telegram_from_table(table, api_base=from_env.api_base)

    def account(self, inbox: Inbox) -> TelegramSettings | None:
        return inbox.telegram if inbox.telegram is not None and inbox.telegram.enabled else None

    def build(self, inbox: Inbox, account: TelegramSettings,
              services: ChannelServices) -> ChannelParts:
        # Imported here: the routers and the runner import this package's modules in turn.
        from aiogram import Dispatcher

        from bot.channels.telegram.channel import TelegramChannel, build_bot
        from bot.channels.telegram.runner import TelegramRunner
        from handlers import setup_telegram_routers
        from handlers.telegram_webhook import telegram_webhook_handler

        bot = build_bot(account.token, account.api_base)
        channel = TelegramChannel(bot, inbox=inbox.name)
        dispatcher = Dispatcher(conversations=services.events, telegram=channel)
        dispatcher.include_router(setup_telegram_routers())
        runner = TelegramRunner(bot=bot, dispatcher=dispatcher, settings=account,
                                clock=services.clock, inbox=inbox.name)
        routes: list[Route] = []
        if account.webhook_url:
            handler = telegram_webhook_handler(dispatcher=dispatcher, bot=bot,
                                               secret=account.webhook_secret,
                                               admission=services.admission)
            routes = [Route("POST", path, handler)
                      for path in route_paths(self.name, inbox.name, "/webhook")]
        return ChannelParts(sender=channel, components=[runner], routes=routes)
