"""Two inboxes, two brands: each conversation lives in its own inbox's Slack channel, and
an inbox may sit in another Slack workspace (the same app installed there)."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import jobs
from bot.config import Settings
from bot.env_reader import Secret
from bot.inboxes import Inbox
from bot.models import Conversation, ConversationKey, Customer, InboundMessage, NewJob
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.conftest import _open_store
from tests.scenarios.harness import CHANNEL, OPERATOR, Desk, desk_env, running_desk

ACME, ZEN = "CACME", "CZEN"
ZEN_TOKEN = "xoxb-zen-workspace"
_message_ids = itertools.count(1)


def inboxes(slack: FakeSlackAPI, tg: FakeTelegramAPI, *, zen_token: str = "") -> tuple[Inbox, ...]:
    telegram = Settings.from_env(desk_env(slack, tg)).telegram
    return (Inbox("acme", slack_channel=ACME, brand="ACME Garden", telegram=telegram),
            Inbox("zen", slack_channel=ZEN, brand="Zen Tea", telegram=telegram,
                  slack_bot_token=Secret(zen_token)))


@asynccontextmanager
async def two_inboxes(request: pytest.FixtureRequest, tmp_path: Path, slack: FakeSlackAPI,
                      tg: FakeTelegramAPI, *, kind: str = "sqlite",
                      zen_token: str = "") -> AsyncIterator[Desk]:
    store = await _open_store(kind, tmp_path, request)
    async with running_desk(store, slack, tg,
                            inboxes=inboxes(slack, tg, zen_token=zen_token)) as desk:
        yield desk


async def customer_writes(desk: Desk, inbox: str, chat_id: int, text: str) -> Conversation:
    """A customer of ``inbox`` writes (straight to the core: what the inbox's channel
    hands it), and the outbox relays it."""
    key = ConversationKey("telegram", str(chat_id), inbox=inbox)
    number = str(next(_message_ids))
    await desk.app.conversations.on_customer_message(InboundMessage(
        customer=Customer(key, name=f"{inbox.title()} Customer", language="en"),
        message_id=number, event_key=f"{key}:{number}", sent_at=datetime.now(UTC), text=text))
    await desk.settle()
    conv = await desk.storage.current_conversation(key)
    assert conv is not None
    if conv.key.inbox != inbox:
        pytest.skip("this store does not keep a conversation's inbox yet")
    return conv


def texts(slack: FakeSlackAPI, channel: str) -> list[str]:
    return [str(m["text"]) for m in slack.messages[channel]]


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
async def test_each_inbox_has_its_own_channel(request: pytest.FixtureRequest, tmp_path: Path,
                                              fake_slack: FakeSlackAPI, fake_tg: FakeTelegramAPI,
                                              kind: str) -> None:
    async with two_inboxes(request, tmp_path, fake_slack, fake_tg, kind=kind) as desk:
        acme = await customer_writes(desk, "acme", 101, "Do you sell roses?")
        zen = await customer_writes(desk, "zen", 202, "Is the sencha in stock?")
        assert (acme.slack_channel, zen.slack_channel) == (ACME, ZEN)
        assert fake_slack.messages[CHANNEL] == []
        assert "Do you sell roses?" in " ".join(texts(fake_slack, ACME))
        assert "sencha" not in " ".join(texts(fake_slack, ACME))
        acme_card = fake_slack.find(ACME, acme.thread_ts)
        assert acme_card is not None and "for ACME Garden" in acme_card["text"]
        assert "ACME Garden" in str(acme_card["blocks"])

        reply = await desk.operator_writes(acme.thread_ts, "Yes, red and white", channel=ACME)
        await desk.operator_writes(acme.thread_ts, "!accept", channel=ACME)
        await desk.operator_writes(zen.thread_ts, "!help", channel=ZEN)
        await desk.settle()

        assert fake_tg.texts(101) == ["Sam: Yes, red and white"] and fake_tg.texts(202) == []
        replied = fake_slack.find(ACME, reply)
        assert replied is not None and replied["reactions"][0]["name"] == "white_check_mark"
        assert {c["channel"] for c in fake_slack.calls_to("chat.update")} == {ACME}
        (whisper,) = fake_slack.calls_to("chat.postEphemeral")
        assert whisper["channel"] == ZEN and whisper["thread_ts"] == zen.thread_ts


async def test_a_reply_in_one_channel_never_reaches_the_other_inboxs_customer(
        request: pytest.FixtureRequest, tmp_path: Path, fake_slack: FakeSlackAPI,
        fake_tg: FakeTelegramAPI) -> None:
    async with two_inboxes(request, tmp_path, fake_slack, fake_tg) as desk:
        acme = await customer_writes(desk, "acme", 101, "hello")
        zen = await customer_writes(desk, "zen", 202, "hello")
        # the acme thread's ts, posted in zen's channel: not a thread of zen's
        await desk.operator_writes(acme.thread_ts, "wrong channel", channel=ZEN)
        await desk.operator_writes(zen.thread_ts, "Hi from Zen", channel=ZEN)
        await desk.settle()
        assert fake_tg.texts(101) == []
        assert fake_tg.texts(202) == ["Sam: Hi from Zen"]


async def test_a_notice_goes_to_the_thread_in_its_inboxs_channel(
        request: pytest.FixtureRequest, tmp_path: Path, fake_slack: FakeSlackAPI,
        fake_tg: FakeTelegramAPI) -> None:
    async with two_inboxes(request, tmp_path, fake_slack, fake_tg) as desk:
        await customer_writes(desk, "acme", 101, "hello")
        zen = await customer_writes(desk, "zen", 202, "hello")
        fake_tg.fail_next("sendMessage", status=403, error="Forbidden: bot was blocked by the user")
        await desk.operator_writes(zen.thread_ts, "Are you there?", channel=ZEN)
        await desk.settle()
        notice = fake_slack.thread(ZEN, zen.thread_ts)[-1]
        assert notice["text"].startswith(":warning:") and "blocked" in notice["text"]
        assert not any("blocked" in t for t in texts(fake_slack, ACME))


async def test_an_inbox_in_another_workspace(request: pytest.FixtureRequest, tmp_path: Path,
                                             fake_slack: FakeSlackAPI,
                                             fake_tg: FakeTelegramAPI) -> None:
    fake_slack.workspaces[ZEN_TOKEN] = ("T0002", "UBOT2", "BBOT2")
    fake_slack.add_user("UZEN1", real_name="Yuki Mori", display_name="yuki", first_name="Yuki")
    async with two_inboxes(request, tmp_path, fake_slack, fake_tg, zen_token=ZEN_TOKEN) as desk:
        acme = await customer_writes(desk, "acme", 101, "hello")
        zen = await customer_writes(desk, "zen", 202, "hello")
        await desk.operator_writes(zen.thread_ts, "Welcome to Zen", channel=ZEN,
                                   team_id="T0002", user="UZEN1")
        await desk.operator_writes(acme.thread_ts, "Welcome to ACME", channel=ACME)
        await desk.settle()
        assert fake_tg.texts(202) == ["Yuki: Welcome to Zen"]
        assert fake_tg.texts(101) == ["Sam: Welcome to ACME"]
        assert fake_slack.tokens_used_in(ZEN) == {ZEN_TOKEN}
        assert fake_slack.tokens_used_in(ACME) == {"xoxb-scenario"}

        # a workspace the app has no token for: its events reach no listener
        await desk.operator_writes(zen.thread_ts, "from nowhere", channel=ZEN,
                                   team_id="T0009", user="UZEN1")
        await desk.settle()
        assert fake_tg.texts(202) == ["Yuki: Welcome to Zen"]


async def test_one_inbox_shows_no_brand(desk: Desk) -> None:
    await desk.app.conversations.on_customer_message(InboundMessage(
        customer=Customer(ConversationKey("telegram", "303"), name="Ann"), message_id="1",
        event_key="telegram:303:1", sent_at=datetime.now(UTC), text="hi"))
    await desk.settle()
    (card,) = desk.slack.roots(CHANNEL)
    assert card["text"] == "New conversation from Ann on Telegram"
    assert OPERATOR not in card["text"]


async def test_answers_queued_by_the_previous_release_still_find_their_channel(
        desk: Desk) -> None:
    """Whisper and reaction jobs queued before inboxes named no channel: they go to the
    default inbox's channel and to the reacted message's own."""
    await desk.app.conversations.on_customer_message(InboundMessage(
        customer=Customer(ConversationKey("telegram", "404"), name="Ann"), message_id="1",
        event_key="telegram:404:1", sent_at=datetime.now(UTC), text="hi"))
    await desk.settle()
    thread = await desk.thread_of(404)
    reply = await desk.operator_writes(thread, "// a note to react to")
    stored = await desk.storage.find_message_by_slack_ts(CHANNEL, reply)
    assert stored is not None
    await desk.storage.enqueue([
        NewJob(jobs.WHISPER, {"user": OPERATOR, "text": "from before", "thread_ts": thread},
               "old:whisper"),
        NewJob(jobs.REACT, {"message_id": stored.id, "slack_ts": reply, "name": "eyes"},
               "old:react", jobs.to_slack(stored.conversation_id))], now=time.time())
    desk.app.outbox.notify()
    await desk.settle()
    (whisper,) = desk.slack.calls_to("chat.postEphemeral")
    assert whisper["channel"] == CHANNEL and whisper["text"] == "from before"
    reacted = desk.slack.find(CHANNEL, reply)
    assert reacted is not None and [r["name"] for r in reacted["reactions"]] == ["eyes"]
