"""Shared fixtures: real stores (SQLite file, Redis server), settings, clocks."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from storage.base import BaseStorage
from tests.support.redis_server import NO_REDIS, RedisProcess, redis_url


@pytest.fixture(scope="session")
def redis_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_url(tmp_path_factory.mktemp("redis")) as url:
        if url is None:
            if os.environ.get("REQUIRE_REDIS") == "1":
                pytest.fail(f"REQUIRE_REDIS=1 but {NO_REDIS}")
            pytest.skip(NO_REDIS)
        yield url


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[Callable[..., RedisProcess]]:
    """Starts redis-servers of the test's own, with the given options; stops them after."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"REQUIRE_REDIS=1 but {NO_REDIS}")
        pytest.skip(NO_REDIS)
    started: list[RedisProcess] = []

    def start(*options: str) -> RedisProcess:
        server = RedisProcess(binary, tmp_path, *options)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
async def sqlite_storage(tmp_path: Path) -> AsyncIterator[BaseStorage]:
    from storage.sqlite import SqliteStorage

    store = await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    yield store
    await store.close()


@pytest.fixture
async def redis_storage(redis_server_url: str) -> AsyncIterator[BaseStorage]:
    from storage.redis import RedisStorage

    # A fresh key prefix per test keeps tests apart even on a shared REDIS_URL.
    store = await RedisStorage.from_url(redis_server_url, prefix=f"t{uuid.uuid4().hex[:10]}")
    yield store
    await store.drop_everything()
    await store.close()


@pytest.fixture(params=["sqlite_storage", "redis_storage"])
def storage(request: pytest.FixtureRequest) -> BaseStorage:
    """Every contract test runs once per backend."""
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]
