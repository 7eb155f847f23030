"""The Redis client: a Redis that stops answering fails each command within its
deadline (the late reply is never read as the answer to a later command), and commands
packed by hiredis are the bytes redis-py's own packer makes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio.connection import Connection
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.models import NewJob
from storage.redis import RedisStorage
from storage.redis_client import Deadlines, DeadlineRedis, HiredisPackedConnection
from tests.support.stalling_proxy import StallingProxy

DEADLINE = 0.3


@pytest.fixture
async def stalling(redis_server_url: str) -> AsyncIterator[tuple[StallingProxy, RedisStorage]]:
    proxy = StallingProxy(redis_server_url)
    async with proxy.serving() as url:
        store = await RedisStorage.from_url(url, prefix=f"d{uuid.uuid4().hex[:10]}",
                                            timeout=DEADLINE)
        yield proxy, store
        proxy.flowing.set()
        await store.drop_everything()
        await store.close()


async def test_a_command_redis_does_not_answer_fails_within_its_deadline(
        stalling: tuple[StallingProxy, RedisStorage]) -> None:
    proxy, store = stalling
    proxy.flowing.clear()
    # The outer wait_for only keeps a broken deadline from hanging the suite.
    with pytest.raises(RedisTimeoutError, match="did not answer"):
        await asyncio.wait_for(store.mark_seen("stalled", ttl=60), timeout=10)
    assert await asyncio.wait_for(store.ping(), timeout=10) is False


async def test_a_late_reply_is_dropped_with_its_connection(
        stalling: tuple[StallingProxy, RedisStorage]) -> None:
    proxy, store = stalling
    first, second = await store.enqueue(
        [NewJob("first", {}, "k1", ""), NewJob("second", {}, "k2", "")], now=1.0)
    proxy.flowing.clear()
    with pytest.raises(RedisTimeoutError):
        await store.get_job(first)
    proxy.flowing.set()  # the held reply (the first job) now reaches the client
    await asyncio.sleep(0.05)
    job = await store.get_job(second)
    assert job is not None and job.kind == "second"
    assert await store.ping() is True


async def test_a_pipeline_has_the_same_deadline(
        stalling: tuple[StallingProxy, RedisStorage]) -> None:
    proxy, store = stalling
    proxy.flowing.clear()
    with pytest.raises(RedisTimeoutError, match="pipeline"):
        await asyncio.wait_for(store.mark_all_seen(["a", "b"], ttl=60), timeout=10)


async def test_an_expired_command_leaves_its_task_usable() -> None:
    deadlines = Deadlines(0.2)
    with pytest.raises(RedisTimeoutError):
        await deadlines.run("GET", asyncio.sleep(10))
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0
    await asyncio.sleep(0.01)  # no cancellation left pending for the next await
    assert await deadlines.run("GET", asyncio.sleep(0.01, result="answer")) == "answer"


async def test_a_command_cancelled_by_its_caller_stays_cancelled() -> None:
    """A webhook whose client hung up is cancelled; that is not a Redis timeout."""
    deadlines = Deadlines(5)
    task = asyncio.create_task(deadlines.run("GET", asyncio.sleep(10)))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_commands_in_flight_together_each_keep_their_own_deadline() -> None:
    deadlines = Deadlines(0.3)
    slow = asyncio.create_task(deadlines.run("SLOW", asyncio.sleep(10)))
    quick = [asyncio.create_task(deadlines.run("GET", asyncio.sleep(0.05, result=n)))
             for n in range(20)]
    assert await asyncio.gather(*quick) == list(range(20))
    with pytest.raises(RedisTimeoutError, match="SLOW"):
        await slow


@pytest.mark.parametrize("args", [
    ("EVALSHA", "a" * 40, 0, "bot", 1.5, -3, 2**62),
    ("SET", "bot:msg:1", '{"text":"héllo ✅ <@U1>"}', "PX", 604800000),
    ("EVALSHA", "f" * 40, 0, 0.1, 1e-7, 1796184196.894643, 1 / 3, 5.0, 1e20),
    ("SET", "big", "x" * 70_000),
    ("CONFIG GET", "maxmemory"),
    ("SET", b"raw-bytes", b"\x00\xff"),
])
def test_hiredis_packs_the_bytes_redis_py_would(args: tuple[object, ...]) -> None:
    ours = b"".join(HiredisPackedConnection().pack_command(*args))
    assert ours == b"".join(Connection().pack_command(*args))


def test_the_store_client_uses_the_hiredis_packer() -> None:
    client = DeadlineRedis.connect("redis://127.0.0.1:1/0", max_connections=1)
    assert client.connection_pool.connection_class is HiredisPackedConnection


# -- one trip per loop turn -------------------------------------------------------------------

@pytest.fixture
async def client(redis_server_url: str) -> AsyncIterator[DeadlineRedis]:
    redis = DeadlineRedis.connect(redis_server_url, max_connections=50)
    prefix = f"p{uuid.uuid4().hex[:10]}:"
    redis.prefix = prefix  # type: ignore[attr-defined]
    yield redis
    keys = [key async for key in redis.scan_iter(match=prefix + "*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def opened(redis: DeadlineRedis) -> int:
    pool = redis.connection_pool
    return len(pool._available_connections) + len(pool._in_use_connections)


async def test_commands_of_one_turn_share_a_trip_and_keep_their_own_replies(
        client: DeadlineRedis) -> None:
    p = client.prefix  # type: ignore[attr-defined]
    await client.set(p + "seed", "0")
    sets = [client.set(f"{p}k{n}", f"v{n}") for n in range(20)]
    assert await asyncio.gather(*sets) == [True] * 20
    gets = [client.get(f"{p}k{n}") for n in range(20)]
    assert await asyncio.gather(*gets, client.incr(p + "seed")) == \
        [f"v{n}" for n in range(20)] + [1]
    # 20 commands in flight together, yet one connection: they went as one pipeline.
    assert opened(client) == 1


async def test_an_error_in_a_shared_trip_is_its_own_commands_alone(
        client: DeadlineRedis) -> None:
    p = client.prefix  # type: ignore[attr-defined]
    await client.set(p + "text", "not a number")
    results = await asyncio.gather(client.set(p + "a", "1"), client.incr(p + "text"),
                                   client.get(p + "a"), return_exceptions=True)
    assert results[0] is True and results[2] == "1"
    assert isinstance(results[1], ResponseError) and "not an integer" in str(results[1])


async def test_a_script_redis_forgot_is_reloaded_within_a_shared_trip(
        client: DeadlineRedis) -> None:
    p = client.prefix  # type: ignore[attr-defined]
    script = client.register_script("return redis.call('INCR', KEYS[1])")
    assert await script(keys=[p + "n"]) == 1
    await client.script_flush()  # as after a Redis restart
    assert sorted(await asyncio.gather(*(script(keys=[p + "n"]) for _ in range(5)))) == \
        [2, 3, 4, 5, 6]


async def test_followers_of_a_cancelled_leader_are_still_sent(client: DeadlineRedis) -> None:
    p = client.prefix  # type: ignore[attr-defined]
    leader = asyncio.create_task(client.set(p + "leader", "1"))
    follower = asyncio.create_task(client.set(p + "follower", "1"))
    await asyncio.sleep(0)  # the leader now waits for the turn to end, the follower behind it
    leader.cancel()
    assert await follower is True
    with pytest.raises(asyncio.CancelledError):
        await leader
    assert await client.get(p + "follower") == "1" and await client.get(p + "leader") is None


async def test_every_command_of_a_stalled_trip_fails_within_its_deadline(
        stalling: tuple[StallingProxy, RedisStorage]) -> None:
    proxy, store = stalling
    proxy.flowing.clear()
    stalled = asyncio.gather(*(store.mark_seen(f"stalled{n}", ttl=60) for n in range(3)),
                             return_exceptions=True)
    results = await asyncio.wait_for(stalled, timeout=10)
    assert all(isinstance(r, RedisTimeoutError) for r in results), results
