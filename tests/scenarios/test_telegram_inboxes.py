"""Two inboxes, each with its own Telegram bot (one by webhook, one by long polling), in one
process: the same Telegram user writing to both is two conversations, and what an operator
writes in one inbox's thread reaches that inbox's bot only."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import jobs
from bot.app import build_app
from bot.channels.telegram.settings import TelegramSettings
from bot.config import Settings, SlackSettings
from bot.env_reader import Secret
from bot.inboxes import Inbox
from bot.models import Conversation, ConversationKey, JobState, NewJob
from storage.base import BaseStorage
from tests.fakes import tg_updates as tg
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.harness import CHANNEL, SIGNING_SECRET, WEBHOOK_SECRET, Desk

ACME_SECRET, ZEN_SECRET = "acme-webhook-secret", "zen-webhook-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CUSTOMER = 555  # one Telegram user, writing to both bots


@dataclass
class TwoInboxes:
    desk: Desk  # the harness's helpers; its ``tg`` is acme's bot
    acme: FakeTelegramAPI
    zen: FakeTelegramAPI

    @property
    def storage(self) -> BaseStorage:
        return self.desk.storage

    async def to_acme(self, update: tg.Update, *, secret: str = ACME_SECRET,
                      path: str = "/telegram/acme/webhook") -> int:
        response = await self.desk.http.post(path, json=update,
                                              headers={SECRET_HEADER: secret})
        return response.status

    async def conversation(self, inbox: str, chat_id: int = CUSTOMER) -> Conversation | None:
        key = ConversationKey("telegram", str(chat_id), inbox)
        return await self.storage.current_conversation(key)

    async def thread(self, inbox: str, timeout: float = 10.0) -> str:
        """The inbox's thread for the customer, once its update was taken in and posted
        (zen's arrives by long polling, in the background)."""
        deadline = time.monotonic() + timeout
        while (conv := await self.conversation(inbox)) is None or not conv.thread_ts:
            if time.monotonic() > deadline:
                raise AssertionError(f"no thread for the customer in inbox {inbox}")
            await asyncio.sleep(0.01)
            await self.desk.settle()
        return conv.thread_ts


def two_inbox_settings(slack: FakeSlackAPI, acme: FakeTelegramAPI,
                       zen: FakeTelegramAPI) -> Settings:
    # Built directly: both inboxes post to the same Slack channel here.
    return Settings(
        slack=SlackSettings(bot_token=Secret("xoxb-scenario"), api_base=slack.url,
                            signing_secret=Secret(SIGNING_SECRET), channel=CHANNEL),
        slack_post_rate=1000, slack_post_burst=1000,
        inbox_list=(
            Inbox("acme", slack_channel=CHANNEL, brand="ACME Garden", telegram=TelegramSettings(
                token=Secret(acme.token), api_base=acme.url.rstrip("/"),
                webhook_url="https://desk.test/telegram/acme/webhook",
                webhook_secret=Secret(ACME_SECRET))),
            Inbox("zen", slack_channel=CHANNEL, telegram=TelegramSettings(
                token=Secret(zen.token), api_base=zen.url.rstrip("/"),
                webhook_secret=Secret(ZEN_SECRET))),  # no webhook URL: long polling
        ))


async def _open_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> BaseStorage:
    if kind == "redis":
        from storage.redis import RedisStorage

        url = request.getfixturevalue("redis_server_url")
        return await RedisStorage.from_url(url, prefix=f"s{uuid.uuid4().hex[:10]}")
    from storage.sqlite import SqliteStorage

    return await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'desk.sqlite3'}")


@pytest.fixture(params=["sqlite"])
async def inboxes(request: pytest.FixtureRequest, tmp_path: Path,
                  fake_slack: FakeSlackAPI) -> AsyncIterator[TwoInboxes]:
    store = await _open_store(request.param, tmp_path, request)
    async with FakeTelegramAPI(token="42:ACME") as acme, \
            FakeTelegramAPI(token="43:ZEN") as zen:
        app = await build_app(two_inbox_settings(fake_slack, acme, zen), storage=store,
                              poll_interval=0.01, outbox_seed=1)
        http = TestClient(TestServer(app.web))
        await http.start_server()
        await app.start()
        try:
            yield TwoInboxes(Desk(app=app, http=http, slack=fake_slack, tg=acme), acme, zen)
        finally:
            await http.close()
            await app.stop()


async def write_to_both(inboxes: TwoInboxes) -> tuple[str, str]:
    """The customer writes to acme's bot (webhook) and to zen's (polled), with the same
    message id: each bot numbers its own messages."""
    assert await inboxes.to_acme(tg.text_message(CUSTOMER, "hello acme", message_id=7)) == 200
    inboxes.zen.push_update(tg.text_message(CUSTOMER, "hello zen", message_id=7))
    return await inboxes.thread("acme"), await inboxes.thread("zen")


@pytest.mark.parametrize("inboxes", ["sqlite", "redis"], indirect=True)
async def test_the_same_user_in_two_inboxes_is_two_conversations(inboxes: TwoInboxes) -> None:
    acme_thread, zen_thread = await write_to_both(inboxes)

    acme, zen = await inboxes.conversation("acme"), await inboxes.conversation("zen")
    assert acme is not None and zen is not None and acme.id != zen.id
    assert acme_thread != zen_thread
    assert [m.text for m in await inboxes.storage.list_messages(acme.id)] == ["hello acme"]
    assert [m.text for m in await inboxes.storage.list_messages(zen.id)] == ["hello zen"]
    # the default inbox is not served here: nobody is filed under it
    assert await inboxes.conversation("default") is None


@pytest.mark.parametrize("inboxes", ["sqlite", "redis"], indirect=True)
async def test_a_reply_in_each_thread_reaches_that_inbox_bot_only(inboxes: TwoInboxes) -> None:
    acme_thread, zen_thread = await write_to_both(inboxes)

    await inboxes.desk.operator_writes(acme_thread, "Hello from ACME")
    await inboxes.desk.settle()
    assert inboxes.acme.texts(CUSTOMER) == ["Sam: Hello from ACME"]
    assert inboxes.zen.texts(CUSTOMER) == []

    await inboxes.desk.operator_writes(zen_thread, "Hello from Zen")
    await inboxes.desk.settle()
    assert inboxes.zen.texts(CUSTOMER) == ["Sam: Hello from Zen"]
    assert inboxes.acme.texts(CUSTOMER) == ["Sam: Hello from ACME"]


async def test_edits_and_deletes_go_through_the_inbox_bot(inboxes: TwoInboxes) -> None:
    acme_thread, zen_thread = await write_to_both(inboxes)
    await inboxes.desk.operator_writes(acme_thread, "first answer")
    zen_reply = await inboxes.desk.operator_writes(zen_thread, "zen answer")
    await inboxes.desk.settle()

    assert await inboxes.desk.operator_edits(zen_thread, zen_reply, "zen answer, fixed") == 200
    await inboxes.desk.settle()
    assert inboxes.zen.texts(CUSTOMER) == ["Sam: zen answer, fixed"]
    assert inboxes.acme.texts(CUSTOMER) == ["Sam: first answer"]
    assert inboxes.acme.calls_to("editMessageText") == []

    assert await inboxes.desk.operator_deletes(zen_thread, zen_reply) == 200
    await inboxes.desk.settle()
    assert inboxes.zen.texts(CUSTOMER) == []
    assert inboxes.acme.texts(CUSTOMER) == ["Sam: first answer"]
    assert inboxes.acme.calls_to("deleteMessage") == []


async def test_each_webhook_takes_only_its_own_inbox_secret(inboxes: TwoInboxes) -> None:
    update = tg.text_message(CUSTOMER, "spoofed")
    assert await inboxes.to_acme(update, secret=ZEN_SECRET) == 401
    # the bare path belongs to the default inbox, not served here; zen polls, no route
    assert await inboxes.to_acme(update, path="/telegram/webhook") == 404
    assert await inboxes.to_acme(update, secret=ZEN_SECRET,
                                 path="/telegram/zen/webhook") == 404
    await inboxes.desk.settle()
    assert await inboxes.conversation("acme") is None
    assert await inboxes.conversation("zen") is None


async def test_each_bot_registers_its_own_way_in(inboxes: TwoInboxes) -> None:
    webhook = inboxes.acme.calls_to("setWebhook")
    assert [call["url"] for call in webhook] == ["https://desk.test/telegram/acme/webhook"]
    assert webhook[0]["secret_token"] == ACME_SECRET
    assert inboxes.zen.calls_to("setWebhook") == []  # zen polls


async def test_a_job_for_an_inbox_not_served_fails_for_good(inboxes: TwoInboxes) -> None:
    # queued by the previous release: no inbox in the payload, so the default inbox's,
    # which this process does not serve
    legacy = NewJob(jobs.SEND_TEXT, {"channel": "telegram", "chat_id": str(CUSTOMER),
                                     "html": "Welcome back"}, "legacy:welcome", "chan:x")
    [job_id] = await inboxes.storage.enqueue([legacy], now=time.time())
    await inboxes.desk.settle()
    job = await inboxes.storage.get_job(job_id)
    assert job is not None and job.state is JobState.FAILED
    assert "the telegram channel is not configured" in job.last_error
    assert inboxes.acme.texts(CUSTOMER) == [] and inboxes.zen.texts(CUSTOMER) == []


# -- the default inbox, configured by the environment, as before ------------------------------

async def test_the_default_inbox_answers_on_both_of_its_paths(desk: Desk) -> None:
    assert await desk.customer_sends(tg.text_message(601, "bare path")) == 200
    response = await desk.http.post("/telegram/default/webhook",
                                    json=tg.text_message(602, "named path"),
                                    headers={SECRET_HEADER: WEBHOOK_SECRET})
    assert response.status == 200
    await desk.settle()
    assert await desk.thread_of(601) and await desk.thread_of(602)
    assert await desk.storage.current_conversation(
        ConversationKey("telegram", "602", "default")) is not None


async def test_a_text_queued_before_inboxes_reaches_the_default_bot(desk: Desk) -> None:
    legacy = NewJob(jobs.SEND_TEXT, {"channel": "telegram", "chat_id": "603",
                                     "html": "Welcome <b>back</b>"}, "legacy:603", "chan:603")
    await desk.storage.enqueue([legacy], now=time.time())
    await desk.settle()
    assert desk.tg.texts(603) == ["Welcome back"]
