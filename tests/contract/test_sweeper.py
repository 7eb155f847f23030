"""The lifecycle sweeper over both real stores: its due_at bookkeeping, its lease, and two
sweepers on one Redis (as two processes would be) that never fire a transition twice."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

import pytest

from bot.lifecycle.clock import Clock
from bot.lifecycle.policy import LifecyclePolicy
from bot.lifecycle.scheduler import Scheduler
from bot.lifecycle.timers import Transition
from bot.lifecycle.transitions import Audience, TransitionEffects
from bot.metrics import Metrics
from bot.models import Conversation, NewJob, Status
from bot.outbox import Outbox
from bot.rendering import Renderer
from storage.base import BaseStorage
from tests.support.clock import FakeClock
from tests.support.factories import T0, inbound

MISSED_AT = T0 + timedelta(minutes=15)
CLOSE_AT = MISSED_AT + timedelta(hours=24)
Fired = list[tuple[int, Transition, str]]


class CountingEffects(TransitionEffects):
    """Records every transition applied, and by which sweeper."""

    def __init__(self, storage: BaseStorage, fired: Fired, who: str) -> None:
        super().__init__(storage=storage, renderer=Renderer())
        self.fired, self.who = fired, who

    def apply(self, conv: Conversation, fired: Transition, now: datetime,
              policy: LifecyclePolicy, audience: Audience) -> list[NewJob]:
        self.fired.append((conv.id, fired, self.who))
        return super().apply(conv, fired, now, policy, audience)


class StillClock:
    """Time stands still; ``sleep`` only lets the other tasks run."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0.001)


def sweeper(storage: BaseStorage, clock: Clock, fired: Fired, who: str,
            **kw: float) -> Scheduler:
    outbox = Outbox(storage, clock=clock, metrics=Metrics())
    return Scheduler(storage=storage, outbox=outbox, clock=clock, holder=who,
                     effects=CountingEffects(storage, fired, who), **kw)  # type: ignore[arg-type]


async def open_conversations(storage: BaseStorage, count: int) -> list[int]:
    ids = []
    for n in range(count):
        got = await storage.ingest(inbound(chat_id=str(7000 + n)), now=T0, seen_ttl=60,
                                   plan=lambda conv, msg, opened: [])
        assert got is not None
        ids.append(got.conversation.id)
    return ids


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


async def test_a_sweep_stores_the_next_deadline_and_fires_once(storage: BaseStorage) -> None:
    fired: Fired = []
    (conv_id,) = await open_conversations(storage, 1)
    sweep = sweeper(storage, FakeClock(), fired, "a")
    assert await sweep.run_once(T0) == 0
    conv = await storage.require_conversation(conv_id)
    assert conv.due_at == MISSED_AT
    assert await storage.list_due(MISSED_AT - timedelta(seconds=1)) == []

    assert await sweep.run_once(MISSED_AT) == 1
    conv = await storage.require_conversation(conv_id)
    assert conv.due_at == CLOSE_AT and "missed_at" in conv.extra
    assert (await storage.outbox_stats(now=0)).depth == 2  # the ping and the card refresh
    assert await sweep.run_once(MISSED_AT + timedelta(hours=1)) == 0

    assert await sweep.run_once(CLOSE_AT) == 1
    conv = await storage.require_conversation(conv_id)
    assert conv.status is Status.CLOSED and conv.due_at is None
    assert fired == [(conv_id, Transition.MISSED, "a"), (conv_id, Transition.CLOSE_MISSED, "a")]


async def test_only_the_lease_holder_sweeps(storage: BaseStorage) -> None:
    fired: Fired = []
    await open_conversations(storage, 3)
    a = sweeper(storage, FakeClock(MISSED_AT), fired, "a")
    b = sweeper(storage, FakeClock(MISSED_AT), fired, "b")
    assert await a.run_once(MISSED_AT - timedelta(seconds=30)) == 0  # a takes the lease
    assert await b.run_once(MISSED_AT) == 0   # b stands by, though timers are due
    assert fired == []
    await a.stop()                            # a hands the lease over at shutdown
    assert await b.run_once(MISSED_AT) == 3
    # b stops renewing (it died): a takes over once the lease ran out
    assert await a.run_once(MISSED_AT + timedelta(seconds=b.lease_ttl - 1)) == 0
    assert await a.run_once(CLOSE_AT) == 3
    assert {who for _, _, who in fired} == {"a", "b"}
    assert len(fired) == len(set(fired)) == 6


async def test_many_due_conversations_are_swept_in_batches(storage: BaseStorage) -> None:
    fired: Fired = []
    ids = await open_conversations(storage, 25)
    assert await sweeper(storage, FakeClock(), fired, "a", batch=10).run_once(MISSED_AT) == 25
    assert sorted(conv_id for conv_id, _, _ in fired) == ids


async def test_run_forever_follows_the_injected_clock(storage: BaseStorage) -> None:
    fired: Fired = []
    (conv_id,) = await open_conversations(storage, 1)
    clock = FakeClock()  # its sleep moves it: an hour per round, without waiting
    sweep = sweeper(storage, clock, fired, "a", interval=3600)
    await sweep.start()
    await until(lambda: len(fired) == 2)
    await sweep.stop()
    assert fired == [(conv_id, Transition.MISSED, "a"), (conv_id, Transition.CLOSE_MISSED, "a")]
    assert clock.now() >= CLOSE_AT


@pytest.fixture
async def two_processes(redis_server_url: str) -> AsyncIterator[tuple[BaseStorage, BaseStorage]]:
    """Two connections to one Redis store, each with its own client, as two processes."""
    from storage.redis import RedisStorage

    prefix = f"sw{uuid.uuid4().hex[:10]}"
    first = await RedisStorage.from_url(redis_server_url, prefix=prefix)
    second = await RedisStorage.from_url(redis_server_url, prefix=prefix)
    yield first, second
    await first.drop_everything()
    await first.close()
    await second.close()


async def test_two_sweepers_on_one_redis_fire_each_transition_once(
        two_processes: tuple[BaseStorage, BaseStorage]) -> None:
    first, second = two_processes
    count, fired = 40, Fired()
    ids = await open_conversations(first, count)
    clock = StillClock(MISSED_AT)
    a, b = sweeper(first, clock, fired, "a"), sweeper(second, clock, fired, "b")

    # concurrent single sweeps, as both processes' loops would do
    for _ in range(5):
        await asyncio.gather(a.run_once(MISSED_AT), b.run_once(MISSED_AT))
    assert sorted(c for c, t, _ in fired if t is Transition.MISSED) == ids
    assert len(fired) == count

    # both loops running side by side, a day later
    clock.current = CLOSE_AT
    await asyncio.gather(a.start(), b.start())
    await until(lambda: len(fired) >= 2 * count)
    await asyncio.sleep(0.2)  # room for a double firing, should there be one
    await asyncio.gather(a.stop(), b.stop())
    closes = [(c, who) for c, t, who in fired if t is Transition.CLOSE_MISSED]
    assert sorted(c for c, _ in closes) == ids
    assert len({who for _, who in closes}) == 1  # one lease holder did it all
    assert len(fired) == 2 * count
    # each transition queued its ping (or close note) and card refresh exactly once
    assert (await first.outbox_stats(now=0)).depth == 4 * count
    assert {c.status for c in await first.list_conversations()} == {Status.CLOSED}


async def test_overlapping_sweeps_after_a_lost_lease_do_not_double_fire(
        two_processes: tuple[BaseStorage, BaseStorage]) -> None:
    first, second = two_processes
    fired = Fired()
    ids = await open_conversations(first, 20)
    a = sweeper(first, StillClock(MISSED_AT), fired, "a", lease_ttl=60)
    b = sweeper(second, StillClock(MISSED_AT), fired, "b", lease_ttl=60)
    # b's clock is past a's lease: both hold it for a while and sweep the same conversations
    await asyncio.gather(a.run_once(MISSED_AT), b.run_once(MISSED_AT + timedelta(seconds=61)))
    assert sorted(c for c, _, _ in fired) == ids
    # and the one that lost a race did not write its stale copy over the winner's
    stored = await first.list_conversations()
    assert all("missed_at" in c.extra and c.due_at == CLOSE_AT for c in stored)
