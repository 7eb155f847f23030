"""Scenario fixtures: fake Slack and Telegram servers and a running desk on top of them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.base import BaseStorage
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.harness import OPERATOR, Desk, running_desk


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackAPI]:
    async with FakeSlackAPI() as fake:
        fake.add_user(OPERATOR, real_name="Sam Porter", display_name="sam", first_name="Sam")
        fake.add_user("UOPS2", real_name="Kim Lo", display_name="kim", first_name="Kim")
        yield fake


@pytest.fixture
async def fake_tg() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI() as fake:
        yield fake


async def _open_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> BaseStorage:
    if kind == "redis":
        from storage.redis import RedisStorage

        url = request.getfixturevalue("redis_server_url")
        return await RedisStorage.from_url(url, prefix=f"s{uuid.uuid4().hex[:10]}")
    from storage.sqlite import SqliteStorage

    return await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'desk.sqlite3'}")


@pytest.fixture(params=["sqlite"])
async def desk(request: pytest.FixtureRequest, tmp_path: Path, fake_slack: FakeSlackAPI,
               fake_tg: FakeTelegramAPI) -> AsyncIterator[Desk]:
    """A running desk on SQLite; parametrize ``desk`` indirectly with "redis" for both."""
    store = await _open_store(request.param, tmp_path, request)
    async with running_desk(store, fake_slack, fake_tg) as running:
        yield running
