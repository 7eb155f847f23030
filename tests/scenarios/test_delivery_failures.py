"""Failures delay but deliver; what cannot be delivered is shown in the thread."""

from __future__ import annotations

import time

from bot.models import Delivery
from tests.fakes import tg_updates as tg
from tests.scenarios.harness import CHANNEL, Desk


async def _thread(desk: Desk, chat_id: int) -> str:
    await desk.customer_sends(tg.text_message(chat_id, "hello"))
    await desk.settle()
    return await desk.thread_of(chat_id)


async def test_telegram_429_delays_but_delivers(desk: Desk) -> None:
    thread = await _thread(desk, 501)
    desk.tg.fail_next("sendMessage", status=429, retry_after=1)
    started = time.monotonic()
    await desk.operator_writes(thread, "after the flood")
    await desk.settle()
    assert desk.tg.texts(501) == ["Sam: after the flood"]
    assert time.monotonic() - started >= 1.0
    assert desk.tg.attempts["sendMessage"] == 2


async def test_slack_429_delays_but_delivers(desk: Desk) -> None:
    desk.slack.fail_next("chat.postMessage", status=429, error="ratelimited", retry_after=1)
    started = time.monotonic()
    await desk.customer_sends(tg.text_message(501, "are you there?"))
    await desk.settle()
    assert time.monotonic() - started >= 1.0
    thread = desk.slack.thread(CHANNEL, await desk.thread_of(501))
    assert [m["text"] for m in thread[1:]] == ["are you there?"]


async def test_slack_5xx_and_dropped_connections_are_retried(desk: Desk) -> None:
    desk.slack.fail_next("chat.postMessage", status=503)
    desk.slack.drop_next("chat.postMessage")
    await desk.customer_sends(tg.text_message(501, "still there?"))
    await desk.settle(timeout=20)
    assert len(desk.slack.roots(CHANNEL)) == 1


async def test_blocked_customer_is_shown_in_the_thread_and_not_retried(desk: Desk) -> None:
    thread = await _thread(desk, 501)
    desk.tg.fail_next("sendMessage", status=403, error="Forbidden: bot was blocked by the user")
    ts = await desk.operator_writes(thread, "hello?")
    await desk.settle()
    assert desk.tg.attempts["sendMessage"] == 1
    note = desk.slack.thread(CHANNEL, thread)[-1]
    assert note["text"].startswith(":warning:") and "blocked" in note["text"]
    stored = await desk.storage.find_message_by_slack_ts(CHANNEL, ts)
    assert stored is not None and stored.delivery is Delivery.FAILED
    assert (await desk.storage.outbox_stats(now=time.time())).failed == 1


async def test_a_post_whose_answer_was_lost_is_not_posted_twice(desk: Desk) -> None:
    # Slack creates the card and the message, but both answers are lost on the way back
    desk.slack.drop_next("chat.postMessage", times=2, after_processing=True)
    await desk.customer_sends(tg.text_message(501, "only once"))
    await desk.settle(timeout=20)
    (root,) = desk.slack.roots(CHANNEL)
    assert [m["text"] for m in desk.slack.thread(CHANNEL, root["ts"])[1:]] == ["only once"]
    assert desk.slack.calls_to("conversations.history")
    assert desk.slack.calls_to("conversations.replies")
