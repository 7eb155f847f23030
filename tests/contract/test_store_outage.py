"""Redis goes away under the outbox worker and the lifecycle sweeper: each waits longer
and longer between tries, says so in a few one-line log records (no traceback), and
carries on, saying so once, when Redis is back."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from bot.lifecycle.scheduler import Scheduler
from bot.lifecycle.transitions import TransitionEffects
from bot.metrics import Metrics
from bot.models import Job
from bot.outage import OUTAGE_BACKOFF
from bot.outbox import Outbox
from bot.rendering import Renderer
from storage.redis import RedisStorage
from tests.support.clock import RecordingClock
from tests.support.factories import job
from tests.support.stalling_proxy import StallingProxy

FAILED_TRIES = 12


@pytest.fixture
async def proxied(redis_server_url: str) -> AsyncIterator[tuple[StallingProxy, RedisStorage]]:
    proxy = StallingProxy(redis_server_url)
    async with proxy.serving() as url:
        store = await RedisStorage.from_url(url, prefix=f"u{uuid.uuid4().hex[:10]}", timeout=2)
        try:
            yield proxy, store
        finally:
            proxy.come_back()
            await store.drop_everything()
            await store.close()


async def _until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


def _messages(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger]


def _backed_off_or_flooded(clock: RecordingClock, caplog: pytest.LogCaptureFixture,
                           logger: str) -> bool:
    return len(clock.slept) >= FAILED_TRIES or len(_messages(caplog, logger)) > FAILED_TRIES


def _assert_backoff(delays: list[float]) -> None:
    """Each wait is drawn from [b/2, b] with b doubling from 1 s up to the 30 s cap."""
    for tries, delay in enumerate(delays, start=1):
        ceiling = min(OUTAGE_BACKOFF.cap, OUTAGE_BACKOFF.base * 2 ** (tries - 1))
        assert ceiling / 2 <= delay <= ceiling, (tries, delays)
    assert delays[0] <= 1 and min(delays[6:]) >= OUTAGE_BACKOFF.cap / 2


def _assert_quiet_outage(caplog: pytest.LogCaptureFixture, logger: str, what: str) -> None:
    """One "down", a "still down" at most every minute (of the injected clock) it lasted,
    one "up again", and not one traceback."""
    records = [r for r in caplog.records if r.name == logger]
    assert all(r.exc_info is None and r.stack_info is None for r in records)
    assert "Traceback" not in caplog.text
    messages = _messages(caplog, logger)
    downs = [m for m in messages if m.startswith(f"{what} down (")]
    assert len(downs) == 1 and "ConnectionError" in downs[0]
    (up,) = [m for m in messages if m.startswith(f"{what} up again after ")]
    down_for = float(up.removeprefix(f"{what} up again after ").split("s")[0])
    assert down_for >= 60 * 2
    reminders = [m for m in messages if m.startswith(f"{what} still down")]
    assert 1 <= len(reminders) <= down_for // 60 + 1
    assert len(messages) <= 2 + len(reminders)


async def test_outbox_backs_off_while_the_store_is_down_and_logs_only_the_changes(
        proxied: tuple[StallingProxy, RedisStorage],
        caplog: pytest.LogCaptureFixture) -> None:
    proxy, store = proxied
    caplog.set_level(logging.DEBUG)
    clock, delivered = RecordingClock(), list[int]()
    outbox = Outbox(store, clock=clock, metrics=Metrics(), seed=11)

    async def handler(j: Job) -> None:
        delivered.append(j.payload["n"])

    outbox.route("test", handler)
    await proxy.go_down()
    outbox.start()
    try:
        await _until(lambda: _backed_off_or_flooded(clock, caplog, "bot.outbox"))
        assert len(clock.slept) >= FAILED_TRIES, _messages(caplog, "bot.outbox")[:3]
        proxy.come_back()
        await store.enqueue([job(1)], now=clock.now().timestamp())
        outbox.notify()
        await _until(lambda: delivered == [1])
        await _until(lambda: any("up again" in m for m in _messages(caplog, "bot.outbox")))
    finally:
        await outbox.stop()
    _assert_backoff(clock.slept)
    _assert_quiet_outage(caplog, "bot.outbox", "outbox: store")


async def test_lifecycle_sweeper_backs_off_while_the_store_is_down(
        proxied: tuple[StallingProxy, RedisStorage],
        caplog: pytest.LogCaptureFixture) -> None:
    proxy, store = proxied
    caplog.set_level(logging.DEBUG)
    clock = RecordingClock()
    sweeper = Scheduler(storage=store, outbox=Outbox(store, clock=clock, metrics=Metrics()),
                        effects=TransitionEffects(storage=store, renderer=Renderer()),
                        clock=clock, interval=0.5)
    await proxy.go_down()
    await sweeper.start()
    try:
        await _until(lambda: _backed_off_or_flooded(clock, caplog, "bot.lifecycle"))
        _assert_backoff(clock.slept[:FAILED_TRIES])
        proxy.come_back()
        await _until(lambda: any("up again" in m for m in _messages(caplog, "bot.lifecycle")))
    finally:
        await sweeper.stop()
    _assert_quiet_outage(caplog, "bot.lifecycle", "lifecycle sweeper: store")
