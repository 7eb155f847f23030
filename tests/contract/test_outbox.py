"""The outbox worker over both real stores: retries, failures, leases, limits, shutdown."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from bot.errors import PermanentError, RetryableError
from bot.lifecycle.retry import RetryPolicy
from bot.metrics import Metrics
from bot.models import Job, JobState, Limit
from bot.outbox import Outbox
from storage.base import BaseStorage
from storage.redis import RedisStorage
from tests.support.clock import FakeClock
from tests.support.factories import job
from tests.support.stalling_proxy import StallingProxy


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_outbox(storage: BaseStorage, clock: FakeClock, **kw: object) -> Outbox:
    return Outbox(storage, clock=clock, metrics=Metrics(), seed=7, **kw)  # type: ignore[arg-type]


async def test_job_runs_once_and_leaves_the_queue(storage: BaseStorage, clock: FakeClock) -> None:
    outbox, ran = make_outbox(storage, clock), []

    async def handler(j: Job) -> None:
        ran.append(j.payload["n"])

    outbox.route("test", handler)
    await storage.enqueue([job(1), job(2)], now=clock.now().timestamp())
    await outbox.run_until_idle()
    assert sorted(ran) == [1, 2]
    assert (await storage.outbox_stats(now=0)).depth == 0
    assert outbox.metrics.messages_out.labels("test")._value.get() == 2


async def test_retry_after_is_honoured(storage: BaseStorage, clock: FakeClock) -> None:
    outbox, calls = make_outbox(storage, clock), []

    async def flaky(j: Job) -> None:
        calls.append(clock.now())
        if len(calls) == 1:
            raise RetryableError("Too Many Requests", retry_after=30, code="ratelimited")

    outbox.route("test", flaky)
    (job_id,) = await storage.enqueue([job(1)], now=clock.now().timestamp())
    await outbox.run_once()
    waiting = await storage.get_job(job_id)
    assert waiting is not None and waiting.attempts == 1
    assert waiting.due_at >= clock.now().timestamp() + 30
    clock.advance(29)
    assert await outbox.run_once() == 0  # not before Retry-After
    clock.advance(2)
    await outbox.run_once()
    assert len(calls) == 2 and await storage.get_job(job_id) is None


async def test_backoff_grows_with_jitter(storage: BaseStorage, clock: FakeClock) -> None:
    outbox = make_outbox(storage, clock, policy=RetryPolicy(base=1, cap=100, max_attempts=50))

    async def down(j: Job) -> None:
        raise RetryableError("HTTP 503", code="http_503")

    outbox.route("test", down)
    (job_id,) = await storage.enqueue([job(1)], now=clock.now().timestamp())
    delays = []
    for _ in range(6):
        start = clock.now().timestamp()
        await outbox.run_once()
        stored = await storage.get_job(job_id)
        assert stored is not None
        delays.append(stored.due_at - start)
        clock.advance(stored.due_at - start + 0.001)
    assert all(0.5 * 2**i <= d <= 2**i for i, d in enumerate(delays))
    assert len(set(delays)) == len(delays)


async def test_permanent_failure_is_reported(storage: BaseStorage, clock: FakeClock) -> None:
    outbox, reported = make_outbox(storage, clock), []

    async def blocked(j: Job) -> None:
        raise PermanentError("Forbidden: bot was blocked by the user", code="blocked")

    async def hook(j: Job, reason: str) -> None:
        reported.append((j.payload["n"], reason))

    outbox.route("test", blocked)
    outbox.on_failure(hook)
    (job_id,) = await storage.enqueue([job(1)], now=clock.now().timestamp())
    await outbox.run_until_idle()
    assert reported == [(1, "Forbidden: bot was blocked by the user")]
    failed = await storage.get_job(job_id)
    assert failed is not None and failed.state is JobState.FAILED


async def test_retries_give_up_after_the_policy(storage: BaseStorage, clock: FakeClock) -> None:
    outbox = make_outbox(storage, clock, policy=RetryPolicy(base=1, cap=1, max_attempts=3))
    reported: list[str] = []

    async def down(j: Job) -> None:
        raise RetryableError("HTTP 500", code="http_500")

    async def hook(j: Job, reason: str) -> None:
        reported.append(reason)

    outbox.route("test", down)
    outbox.on_failure(hook)
    await storage.enqueue([job(1)], now=clock.now().timestamp())
    for _ in range(5):
        await outbox.run_once()
        clock.advance(2)
    assert reported == ["HTTP 500"]


async def test_job_of_a_dead_worker_is_picked_up_after_lease(
    storage: BaseStorage, clock: FakeClock
) -> None:
    dead = await storage.claim_jobs(now=0, lease=1, limit=1)
    assert dead == []
    await storage.enqueue([job(1)], now=clock.now().timestamp())
    taken = await storage.claim_jobs(now=clock.now().timestamp(), lease=60, limit=1)
    assert len(taken) == 1  # a worker took it, then died without finishing
    outbox, ran = make_outbox(storage, clock, lease=60), []

    async def handler(j: Job) -> None:
        ran.append(j.id)

    outbox.route("test", handler)
    assert await outbox.run_once() == 0
    clock.advance(61)
    await outbox.run_once()
    assert ran == [taken[0].id]


async def test_rate_limit_spaces_sends_per_destination(
    storage: BaseStorage, clock: FakeClock
) -> None:
    outbox, sent = make_outbox(storage, clock), []

    async def handler(j: Job) -> None:
        sent.append((j.payload["n"], clock.now().timestamp()))

    outbox.route("test", handler, limit=Limit("chan:C1", rate=1, burst=1))
    await storage.enqueue([job(n, ordering_key=f"c{n}") for n in range(3)],
                          now=clock.now().timestamp())
    for _ in range(4):
        await outbox.run_once()
        clock.advance(1.01)
    assert sorted(n for n, _ in sent) == [0, 1, 2]
    times = sorted(t for _, t in sent)
    assert all(b - a >= 1 for a, b in zip(times, times[1:]))
    left = [await storage.get_job(i) for i in range(1, 4)]
    assert all(j is None for j in left)


async def test_stop_releases_jobs_it_cut_off(storage: BaseStorage, clock: FakeClock) -> None:
    outbox = make_outbox(storage, clock, poll_interval=0.01)
    started = asyncio.Event()

    async def slow(j: Job) -> None:
        started.set()
        await asyncio.sleep(30)

    outbox.route("test", slow)
    (job_id,) = await storage.enqueue([job(1)], now=clock.now().timestamp())
    outbox.start()
    await asyncio.wait_for(started.wait(), 5)
    await outbox.stop(timeout=0.05)
    released = await storage.get_job(job_id)
    assert released is not None and released.state is JobState.PENDING
    assert released.attempts == 0
    assert len(await storage.claim_jobs(now=clock.now().timestamp(), lease=5, limit=5)) == 1


async def test_stop_waits_for_jobs_in_hand(storage: BaseStorage, clock: FakeClock) -> None:
    outbox, done = make_outbox(storage, clock, poll_interval=0.01), []
    started = asyncio.Event()

    async def quick(j: Job) -> None:
        started.set()
        await asyncio.sleep(0.05)
        done.append(j.id)

    outbox.route("test", quick)
    await storage.enqueue([job(1)], now=clock.now().timestamp())
    outbox.start()
    await asyncio.wait_for(started.wait(), 5)
    await outbox.stop(timeout=5)
    assert len(done) == 1 and (await storage.outbox_stats(now=0)).depth == 0


async def test_a_slow_job_does_not_hold_back_the_next_ones(
    storage: BaseStorage, clock: FakeClock
) -> None:
    """The worker claims as slots free up, not batch by batch: while one send hangs, jobs
    enqueued after it still go out at once."""
    outbox = make_outbox(storage, clock, poll_interval=30.0)
    release, done = asyncio.Event(), []

    async def handler(j: Job) -> None:
        if j.payload["n"] == 1:
            await release.wait()
        done.append(j.payload["n"])

    outbox.route("test", handler)
    await storage.enqueue([job(1)], now=clock.now().timestamp())
    outbox.start()
    try:
        await asyncio.sleep(0.05)
        for n in (2, 3):
            await storage.enqueue([job(n)], now=clock.now().timestamp())
            outbox.notify()
        for _ in range(100):
            if done == [2, 3]:
                break
            await asyncio.sleep(0.01)
        assert done == [2, 3]  # long before the 30 s poll, with job 1 still running
        release.set()
    finally:
        await outbox.stop()
    assert sorted(done) == [1, 2, 3]


async def test_handler_finish_is_stored_with_the_completion(
    storage: BaseStorage, clock: FakeClock
) -> None:
    from bot.outbox import Finish

    outbox = make_outbox(storage, clock)

    async def handler(j: Job) -> Finish:
        return Finish(jobs=[job(100 + j.payload["n"], ordering_key="after")])

    outbox.route("test", handler)
    await storage.enqueue([job(1)], now=clock.now().timestamp())
    await outbox.run_once()
    (follow_up,) = await storage.claim_jobs(now=clock.now().timestamp(), lease=30, limit=5)
    assert follow_up.payload == {"n": 101}


async def test_a_429_holds_every_job_to_that_destination(
    storage: BaseStorage, clock: FakeClock
) -> None:
    """Slack's Retry-After is about the channel: after one job is refused, the others
    bound for it wait it out too instead of each collecting its own 429."""
    outbox, tried = make_outbox(storage, clock), []

    async def handler(j: Job) -> None:
        tried.append((j.payload["n"], clock.now().timestamp()))
        if j.payload["n"] == 0 and len(tried) == 1:
            raise RetryableError("Too Many Requests", retry_after=20, code="ratelimited")

    outbox.route("test", handler, limit=Limit("slack:C1", rate=10, burst=10))
    await storage.enqueue([job(0, ordering_key="a")], now=clock.now().timestamp())
    await outbox.run_once()  # job 0 is refused with Retry-After: 20
    start = clock.now().timestamp()
    await storage.enqueue([job(n, ordering_key=f"c{n}") for n in (1, 2)], now=start)
    await outbox.run_once()
    assert [n for n, _ in tried] == [0]  # 1 and 2 were held, though the bucket had room
    clock.advance(21)
    for _ in range(3):
        await outbox.run_once()
    assert sorted(n for n, _ in tried[1:]) == [0, 1, 2]
    assert all(t >= start + 20 for _, t in tried[1:])


async def test_a_store_that_fails_to_record_a_job_loses_nothing(
        redis_server_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    """Redis is unreachable just as a send succeeded: the failure is logged, the worker
    carries on, and the job runs again after its lease (and can tell it ran before)."""
    proxy = StallingProxy(redis_server_url)
    async with proxy.serving() as url:
        store = await RedisStorage.from_url(url, prefix=f"o{uuid.uuid4().hex[:10]}", timeout=0.3)
        try:
            outbox, runs = make_outbox(store, clock, lease=5), []

            async def handler(j: Job) -> None:
                runs.append(j.runs)
                proxy.losing = len(runs) == 1  # the completion that follows never arrives

            outbox.route("test", handler)
            (job_id,) = await store.enqueue([job(1)], now=clock.now().timestamp())
            await outbox.run_once()
            assert "the store failed to record its outcome" in caplog.text
            proxy.losing = False
            assert await outbox.run_once() == 0  # still leased
            clock.advance(6)
            await outbox.run_once()
            assert runs == [1, 2] and await store.get_job(job_id) is None
        finally:
            proxy.losing = False
            await store.drop_everything()
            await store.close()
