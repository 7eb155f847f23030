"""Strangers hold open more slow requests than the bot handles events at once; a customer's
message and an operator's reply still get through, at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.web import MAX_EVENTS_IN_FLIGHT
from tests.fakes import tg_updates as tg
from tests.scenarios.harness import Desk
from tests.support.raw_http import RawRequest

# Far below Slack's 3 s, yet generous for a loaded machine; without the fix they never pass.
PROMPT = 3.0
FORGED_SIGNATURE = b"v0=" + b"0" * 64


class Crowd:
    """Slow requests, each on its own connection, every body announced and never sent."""

    def __init__(self, desk: Desk) -> None:
        server = desk.http.server
        self.host, self.port = str(server.host), int(server.port or 0)
        self.requests: list[RawRequest] = []

    async def send(self, path: str, headers: dict[str, bytes], count: int) -> list[RawRequest]:
        sent = [await RawRequest.open(self.host, self.port, path, headers, body=b'{"type":',
                                      announced=4096) for _ in range(count)]
        self.requests += sent
        return sent

    async def close(self) -> None:
        await asyncio.gather(*(request.close() for request in self.requests))


@pytest.fixture
async def crowd(desk: Desk) -> AsyncIterator[Crowd]:
    strangers = Crowd(desk)
    yield strangers
    await strangers.close()


def plausible_slack_headers() -> dict[str, bytes]:
    """Headers that pass every check a body is not needed for."""
    return {"Content-Type": b"application/json",
            "X-Slack-Request-Timestamp": str(int(time.time())).encode(),
            "X-Slack-Signature": FORGED_SIGNATURE}


async def test_slow_unauthenticated_requests_do_not_hold_up_genuine_events(
        desk: Desk, crowd: Crowd) -> None:
    # More than every slot: headers that look like Slack's, a body that never ends…
    await crowd.send("/slack/events", plausible_slack_headers(), MAX_EVENTS_IN_FLIGHT + 8)
    # …and requests whose headers give them away: answered before their body.
    refused = await crowd.send("/slack/events", {"Content-Type": b"application/json"}, 10)
    refused += await crowd.send("/telegram/webhook",
                                {"X-Telegram-Bot-Api-Secret-Token": b"guess"}, 10)
    refused += await crowd.send("/telegram/webhook", {}, 10)
    statuses = await asyncio.wait_for(asyncio.gather(*(r.status() for r in refused)), PROMPT)
    assert set(statuses) == {401}

    async with asyncio.timeout(PROMPT):
        assert await desk.customer_sends(tg.text_message(4242, "hello")) == 200
    await desk.settle()
    thread = await desk.thread_of(4242)
    async with asyncio.timeout(PROMPT):
        await desk.operator_writes(thread, "Hi, how can I help?")
    await desk.settle()
    assert desk.tg.texts(4242) == ["Sam: Hi, how can I help?"]
