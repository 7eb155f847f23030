"""Lifecycle timers over the running desk, with a fake clock the test moves by hand:
missed → ping → closed, idle close, inactive and back, reopening after a close."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.models import Status
from bot.preferences import set_preference
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.harness import CHANNEL, OPERATOR, Desk, running_desk
from tests.scenarios.timed import (  # noqa: F401 (desk: a fixture, on a fake clock)
    DAY,
    HOUR,
    MIN,
    card,
    clock,
    conversation,
    customer_writes,
    desk,
    operator_replies,
    replies,
    sweep,
)
from tests.support.clock import FakeClock

IDLE_CLOSED = {"en": "We have closed this conversation", "fr": "Nous avons clos cette",
               "ja": "この会話を終了しました"}


def bot_notes(desk: Desk, thread: str) -> list[str]:
    return [m["text"] for m in replies(desk, thread) if "Missed" in m["text"]
            or "Closed automatically" in m["text"]]


# -- missed → ping → closed --------------------------------------------------------------------
@pytest.mark.parametrize(("notify", "prefs", "ping"), [
    ("owner", {"default_owner": "UOWNER"}, "<@UOWNER> "),
    ("owner", {"default_pool": "sales"}, "<@UP1> <@UP2> "),
    ("owner", {}, "<!here> "),
    ("channel", {"default_owner": "UOWNER"}, "<!here> "),
    ("none", {}, None),
])
async def test_missed_pings_then_closes(desk: Desk, notify: str, prefs: dict[str, str],
                                        ping: str | None) -> None:
    await desk.storage.save_pool("sales", ["UP1", "UP2"])
    await set_preference(desk.storage, "missed_notify", notify)
    for name, value in prefs.items():
        await set_preference(desk.storage, name, value)
    await customer_writes(desk, 601, "anyone there?")
    thread = await desk.thread_of(601)

    assert await sweep(desk, 15 * MIN - 1) == 0
    assert "Missed" not in card(desk, thread)
    assert await sweep(desk, 1) == 1
    assert "*Missed*" in card(desk, thread)
    notes = bot_notes(desk, thread)
    if ping is None:
        assert notes == []
    else:
        assert len(notes) == 1 and notes[0].startswith(ping + ":alarm_clock: *Missed:*")
        assert "for 15 min" in notes[0]
    assert await sweep(desk, 24 * HOUR - 1) == 0
    assert (await conversation(desk, 601)).status is Status.NEW

    assert await sweep(desk, 1) == 1
    conv = await conversation(desk, 601)
    assert conv.status is Status.CLOSED and conv.due_at is None
    assert "closed automatically (never answered)" in card(desk, thread)
    assert "no operator answered within 24 h" in bot_notes(desk, thread)[-1]
    assert desk.tg.texts(601) == []  # nobody answered: no goodbye either
    assert await sweep(desk, 30 * DAY) == 0  # fired once, never again


async def test_an_answer_in_time_is_not_missed(desk: Desk) -> None:
    await customer_writes(desk, 602, "hello")
    thread = await desk.thread_of(602)
    clock(desk).advance(14 * MIN)
    await operator_replies(desk, 602, "Hi! How can I help?")
    assert (await conversation(desk, 602)).status is Status.ACTIVE
    assert await sweep(desk, 2 * MIN) == 0
    assert "Missed" not in card(desk, thread) and bot_notes(desk, thread) == []


async def test_a_missed_conversation_answered_late_is_not_closed(desk: Desk) -> None:
    await customer_writes(desk, 603, "hello")
    assert await sweep(desk, 15 * MIN) == 1
    await operator_replies(desk, 603, "Sorry for the wait!")
    assert await sweep(desk, 23 * HOUR) == 0
    assert (await conversation(desk, 603)).status is Status.ACTIVE


# -- idle close -------------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["en", "fr", "ja"])
async def test_idle_close_tells_the_customer_and_every_message_resets_it(
        desk: Desk, language: str) -> None:
    await customer_writes(desk, 611, "hello", language)
    thread = await desk.thread_of(611)
    await sweep(desk, MIN)
    await operator_replies(desk, 611, "Hello!")              # active; idle clock restarts
    assert await sweep(desk, 24 * HOUR - 1) == 0
    await customer_writes(desk, 611, "still there?", language)  # restarts it again
    assert await sweep(desk, 24 * HOUR - 1) == 0
    await operator_replies(desk, 611, "Yes!")
    assert await sweep(desk, 24 * HOUR - 1) == 0
    assert (await conversation(desk, 611)).status is Status.ACTIVE

    assert await sweep(desk, 1) == 1
    assert (await conversation(desk, 611)).status is Status.CLOSED
    assert IDLE_CLOSED[language] in desk.tg.texts(611)[-1]
    assert "nobody wrote for 24 h" in bot_notes(desk, thread)[-1]
    assert "closed automatically (nobody wrote)" in card(desk, thread)
    assert await sweep(desk, DAY) == 0


async def test_idle_close_without_telling_the_customer(desk: Desk) -> None:
    await set_preference(desk.storage, "idle_close_notify", False)
    await set_preference(desk.storage, "idle_close_after", "2h")
    await customer_writes(desk, 612, "hello")
    await operator_replies(desk, 612, "Hello!")
    assert await sweep(desk, 2 * HOUR) == 1
    assert (await conversation(desk, 612)).status is Status.CLOSED
    assert desk.tg.texts(612) == ["Sam: Hello!"]


# -- inactive and back ------------------------------------------------------------------------
async def test_inactive_then_reactivated_by_either_side(desk: Desk) -> None:
    await set_preference(desk.storage, "idle_close_after", "0")
    await customer_writes(desk, 621, "hello")
    thread = await desk.thread_of(621)
    await operator_replies(desk, 621, "Hello!")
    assert await sweep(desk, 15 * DAY - 1) == 0
    assert await sweep(desk, 1) == 1
    assert (await conversation(desk, 621)).status is Status.INACTIVE
    assert "inactive (no interaction)" in card(desk, thread)

    await customer_writes(desk, 621, "me again")
    conv = await conversation(desk, 621)
    assert conv.status is Status.ACTIVE and conv.thread_ts == thread
    assert "reactivated by the customer" in card(desk, thread)
    assert replies(desk, thread)[-1].get("subtype") != "thread_broadcast"

    assert await sweep(desk, 15 * DAY) == 1
    assert (await conversation(desk, 621)).status is Status.INACTIVE
    await operator_replies(desk, 621, "Any news?")  # can still be answered
    assert (await conversation(desk, 621)).status is Status.ACTIVE
    assert f"reactivated by <@{OPERATOR}>" in card(desk, thread)
    assert desk.tg.texts(621)[-1] == "Sam: Any news?"


# -- after a close ----------------------------------------------------------------------------
async def test_a_message_within_7_days_reopens_the_same_thread_broadcast(desk: Desk) -> None:
    await customer_writes(desk, 631, "hello")
    thread = await desk.thread_of(631)
    await operator_replies(desk, 631, "Hello!")
    await operator_replies(desk, 631, "!close")
    before = await conversation(desk, 631)
    assert before.status is Status.CLOSED
    clock(desk).advance(7 * DAY - HOUR)

    await customer_writes(desk, 631, "one more question")
    conv = await conversation(desk, 631)
    assert conv.id == before.id and conv.thread_ts == thread
    assert conv.status is Status.ACTIVE and conv.assignee == OPERATOR  # back to its assignee
    relayed = replies(desk, thread)[-1]
    assert "one more question" in relayed["text"]
    assert relayed.get("subtype") == "thread_broadcast"
    assert "reopened by the customer" in card(desk, thread)
    await customer_writes(desk, 631, "and another")  # only the reopening one is broadcast
    assert replies(desk, thread)[-1].get("subtype") != "thread_broadcast"
    assert await sweep(desk, 24 * HOUR) == 1  # the idle timer runs again
    assert (await conversation(desk, 631)).status is Status.CLOSED


async def test_an_unanswered_reopened_conversation_is_new_and_can_be_missed_again(
        desk: Desk) -> None:
    await customer_writes(desk, 632, "hello")
    thread = await desk.thread_of(632)
    await sweep(desk, 15 * MIN)
    await sweep(desk, 24 * HOUR)
    assert (await conversation(desk, 632)).status is Status.CLOSED
    clock(desk).advance(2 * DAY)

    await customer_writes(desk, 632, "hello again?")
    conv = await conversation(desk, 632)
    assert conv.status is Status.NEW and conv.thread_ts == thread
    assert "Missed" not in card(desk, thread)
    assert await sweep(desk, 15 * MIN - 1) == 0
    assert await sweep(desk, 1) == 1
    assert len([n for n in bot_notes(desk, thread) if "*Missed:*" in n]) == 2


async def test_a_message_after_7_days_opens_a_new_thread_linking_the_old_one(
        desk: Desk) -> None:
    await customer_writes(desk, 641, "hello")
    old_thread = await desk.thread_of(641)
    await operator_replies(desk, 641, "Hello!")
    await operator_replies(desk, 641, "!close")
    old = await conversation(desk, 641)
    clock(desk).advance(7 * DAY)

    await customer_writes(desk, 641, "remember me?")
    new = await conversation(desk, 641)
    assert new.id != old.id and new.thread_ts != old_thread
    assert new.status is Status.NEW
    assert new.extra["previous_thread"] == [CHANNEL, old_thread]
    link = f"https://slack.com/app_redirect?channel={CHANNEL}&amp;message_ts={old_thread}"
    assert f"<{link}|the previous conversation>" in card(desk, new.thread_ts)
    assert "remember me?" in replies(desk, new.thread_ts)[0]["text"]
    assert replies(desk, new.thread_ts)[0].get("subtype") != "thread_broadcast"
    stale = await desk.storage.get_conversation(old.id)
    assert stale is not None and stale.status is Status.CLOSED


async def test_reopen_within_follows_the_preference(desk: Desk) -> None:
    await set_preference(desk.storage, "reopen_within", "1d")
    await customer_writes(desk, 642, "hello")
    await operator_replies(desk, 642, "!close")
    old = await conversation(desk, 642)
    clock(desk).advance(DAY + 1)
    await customer_writes(desk, 642, "back")
    assert (await conversation(desk, 642)).id != old.id


# -- restarts ---------------------------------------------------------------------------------
async def test_a_restart_keeps_the_deadlines(tmp_path: Path, fake_slack: FakeSlackAPI,
                                             fake_tg: FakeTelegramAPI) -> None:
    from storage.sqlite import SqliteStorage

    url = f"sqlite:///{tmp_path / 'restart.sqlite3'}"
    first = FakeClock()
    async with running_desk(await SqliteStorage.from_url(url), fake_slack, fake_tg,
                            clock=first) as before:
        await customer_writes(before, 651, "waiting for an answer")
        await customer_writes(before, 652, "hello")
        await operator_replies(before, 652, "Hello!")
        assert await sweep(before, 10 * MIN) == 0
    # down for a while; the new process comes up mid-way through both windows
    later = FakeClock(first.now() + timedelta(minutes=4))
    async with running_desk(await SqliteStorage.from_url(url), fake_slack, fake_tg,
                            clock=later) as after:
        assert await sweep(after, 0) == 0                 # T0 + 14 min
        assert await sweep(after, MIN - 1) == 0           # one second short of missed
        assert await sweep(after, 1) == 1                 # T0 + 15 min: 651 missed
        assert "*Missed*" in card(after, await after.thread_of(651))
        assert (await conversation(after, 652)).status is Status.ACTIVE
        assert await sweep(after, 24 * HOUR - 15 * MIN - 1) == 0
        assert await sweep(after, 1) == 1                 # T0 + 24 h: 652 idle-closed
        assert (await conversation(after, 652)).status is Status.CLOSED
        assert (await conversation(after, 651)).status is Status.NEW
        assert await sweep(after, 15 * MIN) == 1          # T0 + 24 h 15 min: 651 closed
        assert (await conversation(after, 651)).status is Status.CLOSED
