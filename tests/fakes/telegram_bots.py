"""One Bot API base serving several bots, as Telegram's does: ``TELEGRAM_API_BASE`` is
process-wide, and each inbox's bot is told apart by its token in the path.

Each bot is a :class:`FakeTelegramAPI` of its own (its chats, calls and faults); this
server only hands every request to the bot whose token it names.
"""

from __future__ import annotations

from aiohttp import web

from tests.fakes.base import FakeServer
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.telegram_wire import refusal


class SharedBotAPI(FakeServer):
    def __init__(self, *bots: FakeTelegramAPI) -> None:
        super().__init__()
        self.bots = {bot.token: bot for bot in bots}
        self.app.router.add_route("*", "/bot{token}/{method}", self._route)
        self.app.router.add_get("/file/bot{token}/{path:.*}", self._route)

    async def _route(self, request: web.Request) -> web.StreamResponse:
        bot = self.bots.get(request.match_info["token"])
        if bot is None:
            return refusal(401, "Unauthorized")
        return await bot.serve(request)
