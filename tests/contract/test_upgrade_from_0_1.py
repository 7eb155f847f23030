"""A store written by release 0.1 keeps working on the current code: every conversation keeps
its thread, every job the old process left queued still runs, every lead, pool, setting and
audit entry stays, and an update stored before the upgrade is still recognised.

The stores in ``tests/fixtures/stores/0.1/`` were written by that release's own code (see
``tests/fixtures/stores/make.py``); ``manifest.json`` says what each holds."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.models import ConversationKey
from bot.preferences import DEFAULTS, preference
from storage.base import BaseStorage
from tests.fakes import tg_updates as tg
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fixtures.stores.make import (
    CHATS,
    DECLINE_REASON,
    NAMES,
    PAUSE_MESSAGE,
    MAX_JOB_ID,
    plain,
)
from tests.fixtures.stores.redis_dump import restore_database
from tests.scenarios.harness import CHANNEL, OPERATOR, Desk, running_desk
from tests.scenarios.slash import MANAGER, ask
from tests.support.clock import FakeClock
from tests.support.redis_server import RedisProcess

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "stores" / "0.1"
MANIFEST: dict[str, Any] = json.loads((FIXTURE / "manifest.json").read_text())
THREADED = [state for state in CHATS if state != "unthreaded"]


class OldStore:
    """One of the release's stores, restored where the current code can open it."""

    def __init__(self, kind: str, url: str) -> None:
        self.kind, self.url = kind, url
        self.manifest: dict[str, Any] = MANIFEST[kind]

    async def open(self) -> BaseStorage:
        if self.kind == "redis":
            from storage.redis import RedisStorage

            return await RedisStorage.from_url(self.url)  # the release's key prefix
        from storage.sqlite import SqliteStorage

        return await SqliteStorage.from_url(self.url)

    def conversation(self, state: str) -> dict[str, Any]:
        return self.manifest["conversations"][state]  # type: ignore[no-any-return]

    def thread(self, state: str) -> str:
        return str(self.conversation(state)["conversation"]["thread_ts"])


def _restore_sqlite(tmp_path: Path) -> str:
    path = tmp_path / "desk.sqlite3"
    path.write_bytes((FIXTURE / "desk.sqlite3").read_bytes())
    # The upgrade comes right after the old release stopped: its dedupe entries (stamped
    # with the wall clock, like Redis TTLs) are as fresh as they were then.
    with sqlite3.connect(path) as db:
        db.execute("UPDATE seen SET expires_at = expires_at + ?",
                   (max(0.0, time.time() - MANIFEST["sqlite"]["written_at"]),))
    db.close()
    return f"sqlite:///{path}"


async def _restore_redis(server: RedisProcess) -> str:
    client = Redis.from_url(server.url)
    try:
        await restore_database(client, json.loads((FIXTURE / "redis.json").read_text()))
    finally:
        await client.aclose()
    return server.url


@pytest.fixture(params=["sqlite", "redis"])
async def old(request: pytest.FixtureRequest, tmp_path: Path) -> OldStore:
    if request.param == "redis":
        # a redis-server of the test's own: the release's keys, unprefixed by the test
        start: Callable[..., RedisProcess] = request.getfixturevalue("own_redis")
        return OldStore("redis", await _restore_redis(start()))
    return OldStore("sqlite", _restore_sqlite(tmp_path))


@pytest.fixture
async def desk(old: OldStore) -> AsyncIterator[Desk]:
    """The current code on the old store, its fakes holding what Slack kept meanwhile."""
    async with FakeSlackAPI() as slack, FakeTelegramAPI() as telegram:
        slack.add_user(OPERATOR, real_name="Sam Porter", display_name="sam", first_name="Sam")
        kept = old.manifest["slack"]
        for channel, messages in kept["messages"].items():
            slack.messages[channel].extend(messages)
        while slack.next_ts() < kept["last_ts"]:
            pass  # new posts get new ts, as in Slack
        async with running_desk(await old.open(), slack, telegram, clock=FakeClock(),
                                SLACK_MANAGERS=MANAGER) as running:
            yield running


async def deliver_queued(desk: Desk, *, rounds: int = 100) -> None:
    """Run the queue dry, moving the clock a second whenever what is left waits for a
    rate limit (the Telegram chat and Slack channel buckets)."""
    clock = desk.app.clock
    assert isinstance(clock, FakeClock)
    for _ in range(rounds):
        await desk.app.outbox.run_until_idle()
        if not (await desk.storage.outbox_stats(now=clock.now().timestamp())).depth:
            return
        clock.advance(1)
    raise AssertionError("the outbox did not drain")


def holds(actual: Any, expected: Any, where: str = "") -> None:
    """``actual`` keeps everything ``expected`` has: every key of an object (new keys are
    allowed: a migration may add), every item of a list, every value equal."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not an object"
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} is lost"
            holds(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), \
            f"{where}: {actual!r} != {expected!r}"
        for n, (got, value) in enumerate(zip(actual, expected, strict=True)):
            holds(got, value, f"{where}[{n}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def key(chat_id: int) -> ConversationKey:
    return ConversationKey("telegram", str(chat_id))


# -- what the store holds, read by the current code --------------------------------------------

async def test_every_conversation_message_and_customer_is_read_back(old: OldStore) -> None:
    storage = await old.open()
    try:
        for state, chat_id in CHATS.items():
            kept = old.conversation(state)
            conv = await storage.current_conversation(key(chat_id))
            holds(plain(conv), kept["conversation"], state)
            holds(plain(await storage.get_customer(key(chat_id))), kept["customer"], state)
            assert conv is not None
            holds(plain(await storage.list_messages(conv.id)), kept["messages"], state)
            if conv.thread_ts:
                by_thread = await storage.find_by_thread(CHANNEL, conv.thread_ts)
                assert by_thread is not None and by_thread.id == conv.id, state
    finally:
        await storage.close()


async def test_every_lead_pool_setting_audit_entry_and_queued_job_is_read_back(
        old: OldStore) -> None:
    storage = await old.open()
    try:
        leads = sorted(await storage.list_leads(), key=lambda lead: lead.id)
        holds(plain(leads), old.manifest["leads"], "leads")
        assert await storage.list_pools() == old.manifest["pools"]
        assert {name: await preference(storage, name) for name in DEFAULTS} \
            == old.manifest["settings"]
        assert await storage.read_log("audit", 1000) == old.manifest["audit"]
        queued = [await storage.get_job(job_id) for job_id in range(1, MAX_JOB_ID)]
        assert [{"id": job.id, "kind": job.kind, "ordering_key": job.ordering_key,
                 "dedupe_key": job.dedupe_key} for job in queued if job is not None] \
            == old.manifest["pending_jobs"]
    finally:
        await storage.close()


# -- the current code running on it ---------------------------------------------------------------

AWAY = "Our team is away right now"
ACCEPTED = "One of our team is on it"


def thread_texts(desk: Desk, thread_ts: str) -> list[str]:
    return [str(m["text"]) for m in desk.slack.thread(CHANNEL, thread_ts)[1:]]


def thread_roots(desk: Desk) -> list[str]:
    """The ts of every thread in the channel (a reply broadcast to the channel is none)."""
    return [m["ts"] for m in desk.slack.messages[CHANNEL] if m["thread_ts"] in (None, m["ts"])]


def card(desk: Desk, thread_ts: str) -> str:
    root = desk.slack.find(CHANNEL, thread_ts)
    assert root is not None
    return json.dumps(root["blocks"], ensure_ascii=False)


async def test_every_job_left_queued_still_runs(desk: Desk, old: OldStore) -> None:
    await deliver_queued(desk)
    assert (await desk.storage.outbox_stats(now=time.time())).failed == 0
    # the customers get the away notices, the reply and the acceptance, once each
    away = desk.tg.texts(CHATS["new"])
    assert len(away) == 1 and AWAY in away[0] and PAUSE_MESSAGE in away[0]
    assert desk.tg.texts(CHATS["unthreaded"]) == away
    assert desk.tg.texts(CHATS["active"]) == [*away, "Sam: Yes, 12 left"]
    (accepted,) = desk.tg.texts(CHATS["accepted_late"])
    assert ACCEPTED in accepted
    assert desk.tg.texts(CHATS["declined"]) == desk.tg.texts(CHATS["closed"]) == []
    # Slack gets the customers' messages, the lead notice, the reaction and the cards
    active = old.thread("active")
    assert thread_texts(desk, active)[-2:] == [
        "Is the oak one in stock?",
        ":pencil2: Lead #1 updated by <@UOPS1>: status Contacted → Qualified"]
    reply = next(m for m in desk.slack.thread(CHANNEL, active) if m["text"] == "Yes, 12 left")
    assert [r["name"] for r in reply["reactions"]] == ["white_check_mark"]
    assert "Qualified" in card(desk, active)
    assert thread_texts(desk, old.thread("new"))[-1] == "Any news?"
    assert f"accepted by <@{OPERATOR}>" in card(desk, old.thread("accepted_late"))
    # the conversation whose thread was still to open gets one, with its message
    fay = await desk.conversation(CHATS["unthreaded"])
    assert fay is not None and fay.thread_ts and fay.slack_channel == CHANNEL
    assert thread_texts(desk, fay.thread_ts) == ["Hello from Fay"]
    assert len(thread_roots(desk)) == len(CHATS)
    pause_id = old.manifest["settings"]["pause"]["id"]
    for state in ("new", "active", "unthreaded"):
        conv = await desk.conversation(CHATS[state])
        assert conv is not None
        assert conv.extra["away_sent"] == conv.extra["arrived_while_paused"] == pause_id


async def test_every_conversation_keeps_its_thread(desk: Desk, old: OldStore) -> None:
    await deliver_queued(desk)
    roots = thread_roots(desk)
    for state in THREADED:
        chat_id, thread = CHATS[state], old.thread(state)
        await desk.operator_writes(thread, f"Reply in the {state} thread")
        await desk.customer_sends(tg.text_message(chat_id, f"{NAMES[chat_id]} again",
                                                  first_name=NAMES[chat_id]))
        await deliver_queued(desk)
        assert f"Sam: Reply in the {state} thread" in desk.tg.texts(chat_id)
        conv = await desk.conversation(chat_id)
        assert conv is not None and conv.id == old.conversation(state)["conversation"]["id"]
        assert conv.thread_ts == thread
        assert [t for t in thread_texts(desk, thread) if f"{NAMES[chat_id]} again" in t], state
    assert thread_roots(desk) == roots  # no thread opened anew
    declined = await desk.conversation(CHATS["declined"])
    assert declined is not None and declined.extra["decline_reason"] == DECLINE_REASON


async def test_updates_stored_before_the_upgrade_are_not_relayed_again(
        desk: Desk, old: OldStore) -> None:
    await deliver_queued(desk)
    posted = len(desk.slack.messages[CHANNEL])
    sent = {chat_id: desk.tg.texts(chat_id) for chat_id in CHATS.values()}
    stored = {chat_id: len(await desk.storage.list_messages(
        old.conversation(state)["conversation"]["id"])) for state, chat_id in CHATS.items()}
    for again in old.manifest["stored_updates"]:
        assert await desk.customer_sends(again) == 200
    await deliver_queued(desk)
    assert len(desk.slack.messages[CHANNEL]) == posted
    assert {chat_id: desk.tg.texts(chat_id) for chat_id in CHATS.values()} == sent
    for state, chat_id in CHATS.items():
        conv_id = old.conversation(state)["conversation"]["id"]
        assert len(await desk.storage.list_messages(conv_id)) == stored[chat_id], state


async def test_settings_pools_audit_and_the_pool_turn_answer_as_before(
        desk: Desk, old: OldStore) -> None:
    settings = await ask(desk, "settings", user=OPERATOR)
    for line in ("`default_owner`: <@UA3>", "`missed_after`: 30m",
                 "`statuses`: New, Contacted, Qualified, Unqualified, Hot lead",
                 "`sources`: Telegram, WeChat, Web chat, Lead form, Google Ads, Instagram",
                 "`channel_policies`: telegram=window=72h, quota=8",
                 f"`pause`: paused until 2031-01-05 23:00 UTC: {PAUSE_MESSAGE}",
                 "`business_hours`: Mon-Fri 08:00-18:00 tz=Europe/Paris",
                 "`intake_closed`: wechat"):
        assert f"• {line}\n" in settings, line
    assert "• `sales`: <@UA1>, <@UA2>, <@UA3>" in await ask(desk, "pool list", user=OPERATOR)
    audit = (await ask(desk, "audit 50")).splitlines()[1:]
    assert [f"*{entry['setting']}*" in line
            for line, entry in zip(audit, old.manifest["audit"], strict=True)] \
        == [True] * len(old.manifest["audit"])
    # the round-robin goes on where it stood
    await desk.operator_writes(old.thread("accepted_late"), "!lead pool=sales")
    await deliver_queued(desk)
    conv = await desk.conversation(CHATS["accepted_late"])
    assert conv is not None and conv.lead_id is not None
    lead = await desk.storage.get_lead(conv.lead_id)
    assert lead is not None and lead.owner == old.manifest["pool_next"]
    assert lead.id == len(old.manifest["leads"]) + 1


def test_the_lead_export_lists_every_lead(old: OldStore, tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "STORAGE_URL": old.url}
    out = subprocess.run([sys.executable, "-m", "bot", "leads", "export", "--format", "jsonl"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    rows = sorted((json.loads(line) for line in out.stdout.splitlines()), key=lambda r: r["id"])
    assert [{name: row[name] for name in ("id", "conversation_id", "owner", "status", "source",
                                          "first_name", "created_at")} for row in rows] == [
        {name: lead[name] for name in ("id", "conversation_id", "owner", "status", "source",
                                       "first_name", "created_at")}
        for lead in old.manifest["leads"]]
    assert [len(row["activity"]) for row in rows] \
        == [len(lead["activity"]) for lead in old.manifest["leads"]]
