"""A Redis restarted with its data (append-only file) costs no request an error: the pooled
connections it closed are replaced, and the command that found one dead is sent again."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.models import NewJob
from storage.redis import RedisStorage
from storage.redis_client import DeadlineRedis
from tests.support.redis_server import RedisProcess


@pytest.fixture
async def persisting(own_redis: Callable[..., RedisProcess]
                     ) -> AsyncIterator[tuple[RedisProcess, RedisStorage]]:
    server = own_redis("--appendonly", "yes", "--appendfsync", "always")
    store = await RedisStorage.from_url(server.url, prefix="restart")
    yield server, store
    await store.close()


async def _use(store: RedisStorage) -> None:
    """Traffic before the restart: single commands, a shared trip, scripts."""
    assert await store.mark_seen("before", ttl=600) is True
    await asyncio.gather(*(store.mark_seen(f"burst{n}", ttl=600) for n in range(10)))
    await store.enqueue([NewJob("send", {"n": 1}, "job-before", "")], now=1.0)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["stopped", "killed"])
async def test_the_first_commands_after_a_restart_succeed(
        persisting: tuple[RedisProcess, RedisStorage], how: int) -> None:
    server, store = persisting
    await _use(store)
    # The event loop runs meanwhile, as in the bot: it sees Redis close the connections.
    await asyncio.to_thread(_restart, server, how)
    # The first trip after the restart is a shared one (a pipeline), on a dead connection.
    seen = await asyncio.gather(store.mark_seen("after", ttl=600),
                                *(store.mark_seen(f"burst{n}", ttl=600) for n in range(10)))
    assert seen == [True] + [False] * 10  # the data came back
    assert await store.mark_seen("before", ttl=600) is False
    assert len(await store.enqueue([NewJob("send", {"n": 2}, "job-after", "")],
                                   now=2.0)) == 1
    assert await store.ping() is True


async def test_a_command_written_on_a_connection_redis_already_closed_is_sent_again(
        persisting: tuple[RedisProcess, RedisStorage]) -> None:
    """The restart happens while the loop is busy: the next command is written on the dead
    connection before the loop notices, and only its reply shows the connection closed."""
    server, store = persisting
    await _use(store)
    _restart(server, signal.SIGKILL)  # blocking on purpose
    assert await store.mark_seen("after", ttl=600) is True  # a single command this time
    assert await store.mark_seen("before", ttl=600) is False


async def test_a_trip_lost_after_redis_began_answering_is_not_sent_again(
        redis_server_url: str) -> None:
    """Redis ran the first INCR and answered it, then closed the connection (QUIT): sending
    the trip again would count twice, so its failure reaches the caller instead."""
    client = DeadlineRedis.connect(redis_server_url, max_connections=2)
    key = f"counted:{uuid.uuid4().hex}"
    try:
        pipe = client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.execute_command("QUIT")
        pipe.incr(key)
        with pytest.raises(RedisConnectionError):
            await pipe.execute()
        assert await client.get(key) == "1"
    finally:
        await client.delete(key)
        await client.aclose()


def _restart(server: RedisProcess, how: int) -> None:
    server.stop(how)
    server.start()
