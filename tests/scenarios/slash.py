"""Signed slash-command requests (platform-facts 1.8) and their answers, and a running desk
with a manager and a hand-moved clock, for the managers' command scenarios."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.preferences import DEFAULTS, preference
from storage.base import BaseStorage
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.harness import CHANNEL, SIGNING_SECRET, Desk, running_desk
from tests.support.clock import FakeClock

MANAGER = "UMGR1"
_hooks = itertools.count(1)


class ManualClock(FakeClock):
    """Time moves only when the test says so. ``sleep`` really waits (only the lifecycle
    sweeper sleeps: it sweeps once at start, then stays out of the way)."""

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def open_store(kind: str, path: Path, request: pytest.FixtureRequest) -> BaseStorage:
    if kind == "redis":
        from storage.redis import RedisStorage

        url = request.getfixturevalue("redis_server_url")
        return await RedisStorage.from_url(url, prefix=f"m{uuid.uuid4().hex[:10]}")
    from storage.sqlite import SqliteStorage

    return await SqliteStorage.from_url(f"sqlite:///{path}")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()  # Monday 2026-11-02 09:00 UTC


@pytest.fixture(params=["sqlite"])
async def mdesk(request: pytest.FixtureRequest, tmp_path: Path, fake_slack: FakeSlackAPI,
                fake_tg: FakeTelegramAPI, clock: ManualClock) -> AsyncIterator[Desk]:
    """A running desk with ``MANAGER`` in SLACK_MANAGERS and the ``clock`` fixture;
    parametrize indirectly with "redis" for both backends."""
    store = await open_store(request.param, tmp_path / "desk.sqlite3", request)
    async with running_desk(store, fake_slack, fake_tg, clock=clock,
                            SLACK_MANAGERS=MANAGER) as running:
        yield running


async def snapshot(storage: BaseStorage) -> dict[str, Any]:
    """Every desk setting, the pools and the audit trail: to check nothing changed."""
    return {"prefs": {name: await preference(storage, name) for name in DEFAULTS},
            "pools": await storage.list_pools(), "audit": await storage.read_log("audit", 1000)}


@dataclass(frozen=True)
class Acked:
    status: int
    #: the ack's JSON body ({} for an empty ack)
    body: dict[str, Any]
    hook: str
    seconds: float

    @property
    def text(self) -> str:
        return str(self.body.get("text", ""))


def command_body(desk: Desk, text: str, *, user: str, hook: str,
                 command: str = "/leads", channel: str = CHANNEL) -> str:
    return urlencode({
        "token": "legacy", "team_id": "T0001", "team_domain": "desk", "channel_id": channel,
        "channel_name": "ops", "user_id": user, "user_name": user.lower(), "command": command,
        "text": text, "api_app_id": "A0001", "trigger_id": "1337.42.abcd",
        "response_url": desk.slack.response_url(hook)})


async def slash(desk: Desk, text: str, *, user: str = MANAGER, command: str = "/leads",
                channel: str = CHANNEL) -> Acked:
    """Post ``/leads text`` as ``user`` in ``channel``; :return: Slack's view of the ack."""
    hook = f"cmd{next(_hooks)}"
    body = command_body(desk, text, user=user, hook=hook, command=command, channel=channel)
    ts = str(int(time.time()))
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Slack-Request-Timestamp": ts,
               "X-Slack-Signature": SignatureVerifier(SIGNING_SECRET).generate_signature(
                   timestamp=ts, body=body)}
    started = time.monotonic()
    response = await desk.http.post("/slack/events", data=body.encode(), headers=headers)
    raw = await response.text()
    return Acked(response.status, json.loads(raw) if raw else {}, hook,
                 time.monotonic() - started)


async def answer(desk: Desk, acked: Acked) -> dict[str, Any]:
    """The one post the command made to its response_url."""
    (posted,) = await desk.slack.wait_for_responses(acked.hook)
    return posted


async def ask(desk: Desk, text: str, *, user: str = MANAGER, channel: str = CHANNEL) -> str:
    """Run a command that is accepted, and return the text of its (ephemeral) answer."""
    acked = await slash(desk, text, user=user, channel=channel)
    assert acked.status == 200 and acked.body == {}, acked
    posted = await answer(desk, acked)
    return str(posted["text"])
