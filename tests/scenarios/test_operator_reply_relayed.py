"""An operator answers in the thread: the customer gets it on Telegram; notes stay inside."""

from __future__ import annotations

import pytest

from bot.models import Delivery
from tests.fakes import tg_updates as tg
from tests.scenarios.harness import CHANNEL, OPERATOR, Desk, running_desk


async def _thread(desk: Desk, chat_id: int, text: str = "hello") -> str:
    await desk.customer_sends(tg.text_message(chat_id, text))
    await desk.settle()
    return await desk.thread_of(chat_id)


@pytest.mark.parametrize("desk", ["sqlite", "redis"], indirect=True)
async def test_reply_reaches_the_right_customer_with_the_operator_name(desk: Desk) -> None:
    ann, bob = await _thread(desk, 501), await _thread(desk, 502)
    ts = await desk.operator_writes(ann, "Yes, *we ship* to Lyon")
    await desk.settle()
    assert desk.tg.texts(501) == ["Sam: Yes, we ship to Lyon"]
    sent = desk.tg.calls_to("sendMessage")[-1]
    assert sent["parse_mode"] == "HTML" and "<b>we ship</b>" in sent["text"]
    assert desk.tg.texts(502) == []
    reacted = desk.slack.find(CHANNEL, ts)
    assert reacted is not None and reacted["reactions"][0]["name"] == "white_check_mark"
    stored = await desk.storage.find_message_by_slack_ts(CHANNEL, ts)
    assert stored is not None and stored.delivery is Delivery.DELIVERED
    assert bob != ann


async def test_notes_commands_and_bot_messages_stay_in_slack(desk: Desk) -> None:
    thread = await _thread(desk, 501)
    await desk.operator_writes(thread, "// customer sounds upset")
    await desk.operator_writes(thread, "<@UOPS2> can you take this one?")
    await desk.operator_writes(thread, "!note remember the discount")
    await desk.operator_writes(thread, "!help")
    bot_msg = {"type": "message", "channel": CHANNEL, "text": "bot talking", "bot_id": "BBOT",
               "user": "UBOT", "ts": "1800000000.000001", "thread_ts": thread}
    assert await desk.slack_event(bot_msg) == 200
    root_msg = {"type": "message", "channel": CHANNEL, "text": "chatter", "user": OPERATOR,
                "ts": "1800000000.000002"}
    assert await desk.slack_event(root_msg) == 200
    await desk.settle()
    assert desk.tg.texts(501) == []
    assert desk.slack.calls_to("chat.postEphemeral")[-1]["user"] == OPERATOR


async def test_unknown_command_is_refused_privately(desk: Desk) -> None:
    thread = await _thread(desk, 501)
    await desk.operator_writes(thread, "!frobnicate now")
    await desk.settle()
    assert desk.tg.texts(501) == []
    whisper = desk.slack.calls_to("chat.postEphemeral")[-1]
    assert "!frobnicate" in whisper["text"] and "!help" in whisper["text"]


async def test_a_slack_retry_sends_once(desk: Desk) -> None:
    thread = await _thread(desk, 501)
    stored = desk.slack.store_message(CHANNEL, text="once", thread_ts=thread, user=OPERATOR,
                                      bot_id=None, app_id=None)
    event = {"type": "message", "channel": CHANNEL, "user": OPERATOR, "text": "once",
             "ts": stored["ts"], "thread_ts": thread}
    assert await desk.slack_event(event, event_id="EvSAME") == 200
    # Storing the reply recorded the delivery: Slack's retries are skipped at the door.
    assert not await desk.storage.mark_seen("slack:EvSAME:1", ttl=60)
    assert await desk.slack_event(event, event_id="EvSAME", retry_num=1) == 200
    assert await desk.slack_event(event, event_id="EvOTHER") == 200  # same message, new id
    await desk.settle()
    assert desk.tg.texts(501) == ["Sam: once"]


async def test_bad_slack_signature_is_rejected(desk: Desk) -> None:
    thread = await _thread(desk, 501)
    event = {"type": "message", "channel": CHANNEL, "user": OPERATOR, "text": "forged",
             "ts": "1800000000.000009", "thread_ts": thread}
    assert await desk.slack_event(event, secret="not-the-secret") == 401
    assert await desk.slack_event(event, timestamp=1_000_000_000) == 401
    await desk.settle()
    assert desk.tg.texts(501) == []


async def test_non_operators_are_not_relayed(fake_slack, fake_tg, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from storage.sqlite import SqliteStorage

    store = await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'ops.sqlite3'}")
    async with running_desk(store, fake_slack, fake_tg, SLACK_OPERATORS=OPERATOR) as desk:
        thread = await _thread(desk, 501)
        await desk.operator_writes(thread, "I am not on the desk", user="UOPS2")
        await desk.operator_writes(thread, "I am", user=OPERATOR)
        await desk.settle()
        assert desk.tg.texts(501) == ["Sam: I am"]
        whisper = desk.slack.calls_to("chat.postEphemeral")[-1]
        assert whisper["user"] == "UOPS2" and "not sent" in whisper["text"]


async def test_mentions_become_names_for_the_customer(desk: Desk) -> None:
    thread = await _thread(desk, 501)
    await desk.operator_writes(thread, "Thanks! <@UOPS2> will call you & confirm")
    await desk.settle()
    assert desk.tg.texts(501) == ["Sam: Thanks! @kim will call you & confirm"]


async def test_a_reaction_job_queued_by_an_older_version_still_reacts(desk: Desk) -> None:
    """Jobs in the outbox survive an upgrade: a reaction queued when its payload held only
    the message id reads the message and the desk's emoji, as it used to."""
    from bot import jobs
    from bot.models import NewJob

    thread = await _thread(desk, 503)
    ts = await desk.operator_writes(thread, "on its way")
    await desk.settle()
    stored = await desk.storage.find_message_by_slack_ts(CHANNEL, ts)
    assert stored is not None
    reacted = desk.slack.find(CHANNEL, ts)
    assert reacted is not None
    reacted["reactions"].clear()
    legacy = NewJob(jobs.REACT, {"message_id": stored.id}, f"legacy-react:{stored.id}",
                         jobs.to_slack(stored.conversation_id))
    await desk.storage.enqueue([legacy], now=0.0)
    desk.app.outbox.notify()
    await desk.settle()
    reacted = desk.slack.find(CHANNEL, ts)
    assert reacted is not None and [r["name"] for r in reacted["reactions"]] == ["white_check_mark"]
