"""The whole bot over its real web app, real client libraries and local fake platforms."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.signature import SignatureVerifier

from bot.app import BotApp, build_app
from bot.billing.base import BaseBillingProvider
from bot.config import Settings
from bot.inboxes import Inbox
from bot.lifecycle.clock import Clock
from bot.models import Conversation, ConversationKey
from storage.base import BaseStorage
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI

SIGNING_SECRET = "scenario-signing-secret"
WEBHOOK_SECRET = "scenario-webhook-secret"
CHANNEL = "COPS"
OPERATOR = "UOPS1"
_event_ids = itertools.count(1)


def desk_env(slack: FakeSlackAPI, tg: FakeTelegramAPI, **extra: str) -> dict[str, str]:
    env = {
        "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE": tg.url.rstrip("/"),
        "TELEGRAM_WEBHOOK_URL": "https://desk.test/telegram/webhook",
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SLACK_BOT_TOKEN": "xoxb-scenario", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_BASE": slack.url, "SLACK_CHANNEL": CHANNEL,
        # the fakes do not rate-limit unless a test asks; neither do we, then
        "SLACK_POST_RATE": "1000", "SLACK_POST_BURST": "1000",
    }
    env.update(extra)
    return {k: v for k, v in env.items() if v}


@dataclass
class Desk:
    app: BotApp
    http: TestClient
    slack: FakeSlackAPI
    tg: FakeTelegramAPI

    @property
    def storage(self) -> BaseStorage:
        return self.app.storage

    # -- customers --------------------------------------------------------------------------
    async def customer_sends(self, update: dict[str, Any], *, secret: str | None = WEBHOOK_SECRET,
                             ) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        response = await self.http.post("/telegram/webhook", json=update, headers=headers)
        return response.status

    async def conversation(self, chat_id: int) -> Conversation | None:
        return await self.storage.current_conversation(ConversationKey("telegram", str(chat_id)))

    async def thread_of(self, chat_id: int) -> str:
        conv = await self.conversation(chat_id)
        assert conv is not None and conv.thread_ts, f"no thread for chat {chat_id}"
        return conv.thread_ts

    # -- Slack -------------------------------------------------------------------------------
    async def slack_post(self, body: str, content_type: str, *, retry_num: int | None = None,
                         secret: str = SIGNING_SECRET, timestamp: int | None = None) -> int:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
                   "X-Slack-Signature": SignatureVerifier(secret).generate_signature(
                       timestamp=ts, body=body)}
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num),
                            "X-Slack-Retry-Reason": "http_timeout"})
        response = await self.http.post("/slack/events", data=body.encode(), headers=headers)
        return response.status

    async def slack_event(self, event: dict[str, Any], *, event_id: str | None = None,
                          retry_num: int | None = None, team_id: str = "T0001",
                          **kw: Any) -> int:
        """:param team_id: the workspace the event comes from"""
        envelope = {"token": "legacy", "team_id": team_id, "api_app_id": "A0001",
                    "type": "event_callback", "event": event, "event_time": int(time.time()),
                    "event_id": event_id or f"Ev{next(_event_ids):08d}",
                    "authorizations": [{"team_id": team_id, "user_id": "UBOT",
                                        "is_bot": True, "is_enterprise_install": False}]}
        return await self.slack_post(json.dumps(envelope), "application/json",
                                     retry_num=retry_num, **kw)

    async def operator_writes(self, thread_ts: str, text: str, *, user: str = OPERATOR,
                              files: list[dict[str, Any]] | None = None,
                              event_id: str | None = None, channel: str = CHANNEL,
                              team_id: str = "T0001") -> str:
        """A human posts in the thread: Slack stores it and sends us the event."""
        stored = self.slack.store_message(channel, text=text, thread_ts=thread_ts, user=user,
                                          bot_id=None, app_id=None)
        event = {"type": "message", "channel": channel, "user": user, "text": text,
                 "ts": stored["ts"], "thread_ts": thread_ts, "event_ts": stored["ts"],
                 "channel_type": "channel"}
        if files:
            event.update(subtype="file_share", files=files)
        status = await self.slack_event(event, event_id=event_id, team_id=team_id)
        assert status == 200, f"Slack event answered {status}"
        return str(stored["ts"])

    async def operator_edits(self, thread_ts: str, ts: str, text: str,
                             user: str = OPERATOR, *, channel: str = CHANNEL) -> int:
        new = {"type": "message", "user": user, "text": text, "ts": ts, "thread_ts": thread_ts,
               "edited": {"user": user, "ts": str(time.time())}}
        event = {"type": "message", "subtype": "message_changed", "hidden": True,
                 "channel": channel, "ts": f"{time.time():.6f}", "message": new,
                 "previous_message": {**new, "text": "(before)"}, "event_ts": "1"}
        return await self.slack_event(event)

    async def operator_deletes(self, thread_ts: str, ts: str, *,
                               channel: str = CHANNEL) -> int:
        event = {"type": "message", "subtype": "message_deleted", "hidden": True,
                 "channel": channel, "ts": f"{time.time():.6f}", "deleted_ts": ts,
                 "previous_message": {"type": "message", "user": OPERATOR, "ts": ts,
                                      "thread_ts": thread_ts, "text": "x"}}
        return await self.slack_event(event)

    # -- waiting ------------------------------------------------------------------------------
    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until the outbox has nothing left to do (failed jobs aside)."""
        deadline = time.monotonic() + timeout
        while (await self.storage.outbox_stats(now=time.time())).depth:
            if time.monotonic() > deadline:
                raise AssertionError("the outbox did not drain in time")
            await asyncio.sleep(0.01)


@asynccontextmanager
async def running_desk(storage: BaseStorage, slack: FakeSlackAPI, tg: FakeTelegramAPI,
                       clock: Clock | None = None, inboxes: tuple[Inbox, ...] = (),
                       billing: Sequence[BaseBillingProvider] | None = None,
                       **env: str) -> AsyncIterator[Desk]:
    """:param inboxes: the deployment's inboxes (none: those ``env`` describes, its
        ``INBOXES_FILE`` or the default inbox)
    :param billing: billing providers (the tests' own); None: those ``env`` configures"""
    settings = Settings.from_env(desk_env(slack, tg, **env))
    if inboxes:
        settings = replace(settings, inbox_list=inboxes)
    app = await build_app(settings, storage=storage, poll_interval=0.01, outbox_seed=1,
                          clock=clock, billing=billing)
    if clock is not None and app.sweeper is not None:
        # A fake clock's sleep moves it: the sweeper's loop would race it ahead. Tests
        # move the clock themselves and sweep with app.sweeper.run_once(clock.now()).
        app.sweeper.loop = False
    http = TestClient(TestServer(app.web))
    await http.start_server()
    await app.start()
    try:
        yield Desk(app=app, http=http, slack=slack, tg=tg)
    finally:
        await http.close()
        await app.stop()
