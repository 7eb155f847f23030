"""A running desk on a fake clock, on both stores, and the moves lifecycle and policy
scenarios make: the test advances the clock and sweeps by hand (no sleeps)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.models import Conversation
from storage.base import BaseStorage
from tests.fakes import tg_updates as tg
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.harness import CHANNEL, Desk, running_desk
from tests.support.clock import FakeClock

MIN, HOUR, DAY = 60, 3600, 86400


async def open_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> BaseStorage:
    if kind == "redis":
        from storage.redis import RedisStorage

        url = request.getfixturevalue("redis_server_url")
        return await RedisStorage.from_url(url, prefix=f"l{uuid.uuid4().hex[:10]}")
    from storage.sqlite import SqliteStorage

    return await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'desk.sqlite3'}")


@pytest.fixture(params=["sqlite", "redis"])
async def desk(request: pytest.FixtureRequest, tmp_path: Path, fake_slack: FakeSlackAPI,
               fake_tg: FakeTelegramAPI) -> AsyncIterator[Desk]:
    store = await open_store(request.param, tmp_path, request)
    async with running_desk(store, fake_slack, fake_tg, clock=FakeClock()) as running:
        yield running


def clock(desk: Desk) -> FakeClock:
    assert isinstance(desk.app.clock, FakeClock)
    return desk.app.clock


async def sweep(desk: Desk, after: float = 0) -> int:
    """Move the clock by ``after`` seconds, run one sweep, let the outbox deliver."""
    clock(desk).advance(after)
    assert desk.app.sweeper is not None
    fired = await desk.app.sweeper.run_once(clock(desk).now())
    await desk.settle()
    return fired


async def customer_writes(desk: Desk, chat_id: int, text: str, language: str = "en") -> None:
    await desk.customer_sends(tg.text_message(chat_id, text, language_code=language))
    await desk.settle()


async def operator_replies(desk: Desk, chat_id: int, text: str) -> None:
    await desk.operator_writes(await desk.thread_of(chat_id), text)
    await desk.settle()


async def conversation(desk: Desk, chat_id: int) -> Conversation:
    conv = await desk.conversation(chat_id)
    assert conv is not None
    return conv


def card(desk: Desk, thread: str) -> str:
    root = desk.slack.find(CHANNEL, thread)
    assert root is not None
    return json.dumps(root["blocks"], ensure_ascii=False)


def replies(desk: Desk, thread: str) -> list[dict[str, Any]]:
    return desk.slack.thread(CHANNEL, thread)[1:]
