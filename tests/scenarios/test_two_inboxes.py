"""A two-brand deployment from its inbox file: two Telegram bots (acme by webhook, zen by
long polling) in one process, each inbox's threads in its own Slack channel. Whatever an
operator or a manager does in one inbox's channel acts on that inbox's conversations only.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.models import Conversation, ConversationKey, Status
from tests.fakes import tg_updates as tg
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.telegram_bots import SharedBotAPI
from tests.scenarios.conftest import _open_store
from tests.scenarios.harness import OPERATOR, SIGNING_SECRET, Desk, running_desk
from tests.scenarios.slash import MANAGER, ManualClock, ask, slash
from tests.support.bot_process import start_process, wait_healthy
from tests.support.redis_server import free_port

ACME, ZEN = "CACME", "CZEN"  # the inboxes' Slack channels
ACME_TOKEN, ZEN_TOKEN = "4242:ACMEbotTokenFromTheEnv", "4343:ZENbotTokenFromTheEnv"
ACME_SECRET = "acme-webhook-secret-from-env"
WEBHOOK_URL = "https://desk.test/telegram/acme/webhook"
INBOX_FILE = f"""
[inboxes.acme]
brand = "ACME Garden"
slack_channel = "{ACME}"
[inboxes.acme.telegram]
bot_token = "env:ACME_TELEGRAM_TOKEN"
webhook_url = "{WEBHOOK_URL}"
webhook_secret = "env:ACME_TG_SECRET"

[inboxes.zen]
brand = "Zen Tea"
slack_channel = "{ZEN}"
[inboxes.zen.telegram]
bot_token = "env:ZEN_TELEGRAM_TOKEN"
"""
ACCEPTED = "Thanks for your message"
AWAY = "Our team is away right now"
CLOSED_NOW = "We are closed right now"
NOT_TAKEN = "not taking new conversations"
REFUSAL = "does not belong to this conversation"
_message_ids = itertools.count(9_001)


def inbox_file_env(tmp_path: Path, api: SharedBotAPI) -> dict[str, str]:
    """The deployer's variables: the file, the secrets it names, one Bot API base; none of
    the variables that describe the default inbox."""
    path = tmp_path / "inboxes.toml"
    path.write_text(INBOX_FILE)
    return {"INBOXES_FILE": str(path), "ACME_TELEGRAM_TOKEN": ACME_TOKEN,
            "ZEN_TELEGRAM_TOKEN": ZEN_TOKEN, "ACME_TG_SECRET": ACME_SECRET,
            "TELEGRAM_API_BASE": api.url.rstrip("/"), "TELEGRAM_BOT_TOKEN": "",
            "TELEGRAM_WEBHOOK_URL": "", "TELEGRAM_WEBHOOK_SECRET": "", "SLACK_CHANNEL": ""}


@dataclass
class Deployment:
    desk: Desk
    acme: FakeTelegramAPI
    zen: FakeTelegramAPI
    clock: ManualClock

    @property
    def slack(self) -> FakeSlackAPI:
        return self.desk.slack

    async def writes_to_both(self, chat_id: int, text: str) -> tuple[Conversation, Conversation]:
        """The same Telegram user writes to acme's bot (webhook) and to zen's (polled), with
        the same message id: each bot numbers its own messages."""
        message_id = next(_message_ids)
        response = await self.desk.http.post(
            "/telegram/acme/webhook", json=tg.text_message(chat_id, f"{text} (acme)",
                                                         message_id=message_id),
            headers={"X-Telegram-Bot-Api-Secret-Token": ACME_SECRET})
        assert response.status == 200
        self.zen.push_update(tg.text_message(chat_id, f"{text} (zen)", message_id=message_id))
        acme, zen = await self.opened("acme", chat_id), await self.opened("zen", chat_id)
        self.clock.advance(60)
        return acme, zen

    async def conversation(self, inbox: str, chat_id: int) -> Conversation | None:
        key = ConversationKey("telegram", str(chat_id), inbox)
        return await self.desk.storage.current_conversation(key)

    async def opened(self, inbox: str, chat_id: int, timeout: float = 10.0) -> Conversation:
        """The customer's conversation in ``inbox`` once its thread is posted (zen's
        update arrives by long polling, in the background)."""
        deadline = time.monotonic() + timeout
        while (conv := await self.conversation(inbox, chat_id)) is None or not conv.thread_ts:
            if time.monotonic() > deadline:
                raise AssertionError(f"no thread for {chat_id} in inbox {inbox}")
            await asyncio.sleep(0.01)
            await self.desk.settle()
        return conv

    async def told(self, bot: FakeTelegramAPI, chat_id: int, text: str,
                   timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in sent for sent in bot.texts(chat_id)):
            if time.monotonic() > deadline:
                raise AssertionError(f"{chat_id} was not told {text!r}: {bot.texts(chat_id)}")
            await asyncio.sleep(0.01)

    async def click(self, action_id: str, conv: Conversation, *, channel: str) -> int:
        """A click on ``conv``'s card button, as Slack reports it from ``channel``."""
        payload = {
            "type": "block_actions", "api_app_id": "A0001", "token": "legacy",
            "user": {"id": OPERATOR, "username": "sam", "team_id": "T0001"},
            "trigger_id": "1337.42.abcd", "team": {"id": "T0001", "domain": "desk"},
            "channel": {"id": channel}, "response_url": "https://hooks.slack.test/actions/1",
            "container": {"type": "message", "message_ts": conv.thread_ts,
                          "channel_id": channel, "is_ephemeral": False},
            "actions": [{"action_id": action_id, "block_id": f"conv:{conv.id}",
                         "value": str(conv.id), "type": "button",
                         "action_ts": "1800000000.1"}]}
        return await self.desk.slack_post(urlencode({"payload": json.dumps(payload)}),
                                          "application/x-www-form-urlencoded")


@pytest.fixture(params=["sqlite"])
async def deployment(request: pytest.FixtureRequest, tmp_path: Path,
                     fake_slack: FakeSlackAPI) -> AsyncIterator[Deployment]:
    """Parametrize indirectly with "redis" for the other store."""
    clock = ManualClock()  # Monday 2026-11-02 09:00 UTC
    store = await _open_store(request.param, tmp_path, request)
    async with FakeTelegramAPI(token=ACME_TOKEN) as acme, \
            FakeTelegramAPI(token=ZEN_TOKEN) as zen, SharedBotAPI(acme, zen) as api:
        async with running_desk(store, fake_slack, acme, clock=clock, inboxes=(),
                                SLACK_MANAGERS=MANAGER,
                                **inbox_file_env(tmp_path, api)) as desk:
            yield Deployment(desk, acme, zen, clock)


@pytest.mark.parametrize("deployment", ["sqlite", "redis"], indirect=True)
async def test_one_user_writing_to_both_bots_is_two_conversations_in_two_channels(
        deployment: Deployment) -> None:
    d = deployment
    assert [inbox.name for inbox in d.desk.app.settings.inboxes] == ["acme", "zen"]
    assert [call["url"] for call in d.acme.calls_to("setWebhook")] == [WEBHOOK_URL]
    assert d.zen.calls_to("setWebhook") == []  # zen polls

    acme, zen = await d.writes_to_both(555, "hello")

    assert acme.id != zen.id and (acme.slack_channel, zen.slack_channel) == (ACME, ZEN)
    acme_card, zen_card = d.slack.find(ACME, acme.thread_ts), d.slack.find(ZEN, zen.thread_ts)
    assert acme_card is not None and "ACME Garden" in str(acme_card["blocks"])
    assert zen_card is not None and "Zen Tea" in str(zen_card["blocks"])
    acme_side = json.dumps(d.slack.messages[ACME])
    assert "hello (acme)" in acme_side and "hello (zen)" not in acme_side
    assert "Zen Tea" not in acme_side
    assert "hello (acme)" not in json.dumps(d.slack.messages[ZEN])
    assert await d.conversation("default", 555) is None


@pytest.mark.parametrize("deployment", ["sqlite", "redis"], indirect=True)
async def test_replies_edits_and_deletes_act_in_their_own_inbox_only(
        deployment: Deployment) -> None:
    d = deployment
    acme, zen = await d.writes_to_both(556, "hi")
    reply = await d.desk.operator_writes(acme.thread_ts, "Roses are in", channel=ACME)
    # acme's thread ts, replayed in zen's channel: no thread of zen's
    await d.desk.operator_writes(acme.thread_ts, "wrong channel", channel=ZEN)
    await d.desk.settle()
    assert d.acme.texts(556) == ["Sam: Roses are in"] and d.zen.texts(556) == []

    assert await d.desk.operator_edits(acme.thread_ts, reply, "Edited", channel=ZEN) == 200
    assert await d.desk.operator_deletes(acme.thread_ts, reply, channel=ZEN) == 200
    await d.desk.settle()
    assert d.acme.texts(556) == ["Sam: Roses are in"]
    assert d.acme.calls_to("editMessageText") == d.acme.calls_to("deleteMessage") == []

    assert await d.desk.operator_edits(acme.thread_ts, reply, "Tulips are in",
                                       channel=ACME) == 200
    await d.desk.settle()
    assert d.acme.texts(556) == ["Sam: Tulips are in"]
    assert await d.desk.operator_deletes(acme.thread_ts, reply, channel=ACME) == 200
    await d.desk.settle()
    assert d.acme.texts(556) == [] and d.zen.texts(556) == []
    assert d.zen.calls_to("editMessageText") == d.zen.calls_to("deleteMessage") == []


async def test_buttons_and_commands_act_in_their_own_inbox_only(deployment: Deployment) -> None:
    d = deployment
    acme, zen = await d.writes_to_both(557, "hi")
    for action in ("conv_accept", "conv_decline", "lead_create"):
        assert await d.click(action, acme, channel=ZEN) == 200
    await d.desk.operator_writes(acme.thread_ts, "!close", channel=ZEN)
    await d.desk.settle()
    still = await d.conversation("acme", 557)
    assert still is not None and still.status is Status.NEW and still.lead_id is None
    assert d.slack.calls_to("views.open") == []
    assert d.acme.texts(557) == [] and d.zen.texts(557) == []
    assert {(e["channel"], e["user"]) for e in d.slack.ephemerals
            if REFUSAL in e["text"]} == {(ZEN, OPERATOR)}

    assert await d.click("conv_accept", acme, channel=ACME) == 200
    assert await d.click("lead_create", acme, channel=ACME) == 200
    await d.desk.operator_writes(zen.thread_ts, "!decline not for us", channel=ZEN)
    await d.desk.settle()
    accepted, declined = await d.conversation("acme", 557), await d.conversation("zen", 557)
    assert accepted is not None and accepted.status is Status.ACTIVE
    assert declined is not None and declined.status is Status.DECLINED
    assert ACCEPTED in d.acme.texts(557)[0] and "not for us" in d.zen.texts(557)[0]
    (lead_modal,) = d.slack.calls_to("views.open")
    assert ACME in lead_modal["view"]["private_metadata"]


async def test_hours_pause_and_intake_per_inbox_from_its_channel(
        deployment: Deployment) -> None:
    d = deployment
    answer = await ask(d.desk, "hours Mon-Fri 13:00-17:00 tz=UTC", channel=ZEN)
    assert answer.startswith("Done: *business_hours* for Zen Tea")
    await d.writes_to_both(601, "open?")
    await d.told(d.zen, 601, CLOSED_NOW)
    assert d.acme.texts(601) == []

    answer = await ask(d.desk, "pause Back on Monday", channel=ACME)
    assert answer.startswith("Done: *pause* for ACME Garden")
    await d.writes_to_both(602, "anyone?")
    await d.told(d.acme, 602, AWAY)
    assert not any(AWAY in text for text in d.zen.texts(602))
    assert not any(CLOSED_NOW in text for text in d.acme.texts(602))

    assert "for Zen Tea" in await ask(d.desk, "intake telegram off", channel=ZEN)
    assert "`fax` is not a channel: use telegram, wechat" in (
        await slash(d.desk, "intake fax off", channel=ZEN)).text
    d.zen.push_update(tg.text_message(603, "new here"))
    await d.told(d.zen, 603, NOT_TAKEN)
    assert await d.conversation("zen", 603) is None
    assert await _to_acme(d, 604) == 200
    assert await d.opened("acme", 604)  # acme still takes new customers

    summary = await ask(d.desk, "", channel="CMANAGERS")  # a channel no inbox owns
    assert "• *ACME Garden* (`acme`): 3 conversations" in summary
    assert "• *Zen Tea* (`zen`): 2 conversations" in summary
    assert (await ask(d.desk, "", channel=ACME)).startswith("*Inbox ACME Garden*")


async def _to_acme(d: Deployment, chat_id: int) -> int:
    response = await d.desk.http.post(
        "/telegram/acme/webhook", json=tg.text_message(chat_id, "new here"),
        headers={"X-Telegram-Bot-Api-Secret-Token": ACME_SECRET})
    return response.status


# -- the real process -------------------------------------------------------------------------

async def test_python_m_bot_serves_the_inbox_file(tmp_path: Path, fake_slack: FakeSlackAPI,
                                                  ) -> None:
    port = free_port()
    log = tmp_path / "bot.log"
    async with FakeTelegramAPI(token=ACME_TOKEN) as acme, \
            FakeTelegramAPI(token=ZEN_TOKEN) as zen, SharedBotAPI(acme, zen) as api:
        env = {k: v for k, v in inbox_file_env(tmp_path, api).items() if v}
        env.update(HOST="127.0.0.1", PORT=str(port), SLACK_BOT_TOKEN="xoxb-scenario",
                   SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_BASE=fake_slack.url,
                   STORAGE_URL=f"sqlite:///{tmp_path / 'desk.sqlite3'}")
        with log.open("wb") as stderr:
            proc = start_process(env, tmp_path, stderr=stderr)
            try:
                await wait_healthy(f"http://127.0.0.1:{port}", proc)
                health = await _healthz(port)
                zen.push_update(tg.text_message(701, "polled"))
                await fake_slack.wait_for("chat.postMessage", timeout=15)
            finally:
                proc.send_signal(signal.SIGTERM)
                await asyncio.to_thread(proc.wait, 20)
    assert health["channels"] == {
        "telegram": True, "slack": True,
        "inboxes": {"acme": {"slack_channel": ACME, "telegram": True},
                    "zen": {"slack_channel": ZEN, "telegram": True}}}
    assert [call["channel"] for call in fake_slack.calls_to("chat.postMessage")][:1] == [ZEN]
    assert [call["url"] for call in acme.calls_to("setWebhook")] == [WEBHOOK_URL]
    text = log.read_text()
    assert proc.returncode == 0, text
    assert "Inbox acme (ACME Garden): telegram, threads in Slack channel CACME" in text
    for secret in (ACME_TOKEN, ZEN_TOKEN, ACME_SECRET, SIGNING_SECRET, "ACMEbotToken",
                   "ZENbotToken"):
        assert secret not in text
    assert "TELEGRAM_BOT_TOKEN" not in text


async def _healthz(port: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, \
            session.get(f"http://127.0.0.1:{port}/healthz") as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body

