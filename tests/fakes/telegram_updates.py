"""Update delivery for :class:`FakeTelegramAPI`: the getUpdates queue and webhook config.

Semantics follow the Bot API (platform-facts 2.1): an update is confirmed once getUpdates is
called with ``offset > update_id``; a negative offset keeps the last ``-offset`` updates;
``timeout`` makes the call wait for new updates; getUpdates while a webhook is set, or while
a newer getUpdates call arrives, answers 409 Conflict.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import ClientSession, web

from tests.fakes.base import Args
from tests.fakes.telegram_wire import bad_request, ok, refusal

if TYPE_CHECKING:
    from tests.fakes.telegram_api import FakeTelegramAPI

SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
WEBHOOK_ACTIVE = ("Conflict: can't use getUpdates method while webhook is active; "
                  "use deleteWebhook to delete the webhook first")
TERMINATED = ("Conflict: terminated by other getUpdates request; "
              "make sure that only one bot instance is running")


class UpdateFeed:
    """Pending updates of one fake bot and how they reach it."""

    def __init__(self, api: FakeTelegramAPI) -> None:
        self.api = api
        self.pending: list[Args] = []
        self.webhook: Args = {"url": ""}
        self.deliveries: list[Args] = []
        self._next_id = 1
        self._generation = 0

    def push(self, update: Args) -> int:
        """Queue ``update`` for getUpdates, numbering it when it has no ``update_id``."""
        self._number(update)
        self.api.observe(update)
        self.pending.append(update)
        return int(update["update_id"])

    def _number(self, update: Args) -> None:
        if "update_id" not in update:
            update["update_id"] = self._next_id
        self._next_id = max(self._next_id, int(update["update_id"]) + 1)

    def _confirm(self, offset: Any) -> None:
        if offset is None:
            return
        offset = int(offset)
        if offset < 0:
            self.pending = self.pending[offset:]
        else:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]

    async def get_updates(self, args: Args, gone: Callable[[], bool]) -> web.StreamResponse:
        if self.webhook["url"]:
            return refusal(409, WEBHOOK_ACTIVE)
        self._confirm(args.get("offset"))
        self._generation += 1
        mine = self._generation
        limit = min(max(int(args.get("limit") or 100), 1), 100)
        deadline = time.monotonic() + float(args.get("timeout") or 0)
        while not self.pending and time.monotonic() < deadline:
            if self.api.closing.is_set() or gone():
                break
            await asyncio.sleep(0.01)
            if self._generation != mine:
                return refusal(409, TERMINATED)
        return ok(self.pending[:limit])

    async def set_webhook(self, args: Args) -> web.StreamResponse:
        secret = args.get("secret_token")
        if secret is not None and not SECRET_TOKEN.fullmatch(str(secret)):
            return bad_request("secret token contains unallowed characters")
        if args.get("drop_pending_updates"):
            self.pending.clear()
        self.webhook = {"url": str(args.get("url") or ""), "secret_token": secret,
                        "allowed_updates": args.get("allowed_updates"),
                        "max_connections": int(args.get("max_connections") or 40)}
        return ok(True)

    async def delete_webhook(self, args: Args) -> web.StreamResponse:
        if args.get("drop_pending_updates"):
            self.pending.clear()
        self.webhook = {"url": ""}
        return ok(True)

    async def webhook_info(self, args: Args) -> web.StreamResponse:
        info: Args = {"url": self.webhook["url"], "has_custom_certificate": False,
                      "pending_update_count": len(self.pending)}
        if self.webhook["url"]:
            info["max_connections"] = self.webhook["max_connections"]
            if self.webhook["allowed_updates"]:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return ok(info)

    async def deliver(self, session: ClientSession, url: str, update: Args,
                      secret: str | None = None) -> int:
        """POST ``update`` to a bot webhook the way Telegram does; return the HTTP status."""
        self._number(update)
        self.api.observe(update)
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        async with session.post(url, json=update, headers=headers) as response:
            await response.read()
        self.deliveries.append({"update": update, "url": url, "status": response.status})
        return response.status
