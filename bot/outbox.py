"""The durable outbox worker: claims due jobs from the store and runs their handlers."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot import loggers
from bot.errors import DeliveryError
from bot.lifecycle.clock import Clock
from bot.lifecycle.retry import RetryPolicy
from bot.metrics import Metrics
from bot.models import Job, Limit, Message, NewJob
from bot.outage import Outage, short_reason
from storage.base import BaseStorage


@dataclass(frozen=True)
class Finish:
    """What a handler hands back to be stored as its job completes, in the same store
    transaction: the messages it changed (a Slack ts, a delivery state) and follow-up jobs.
    One write instead of three, and no window in which the post is recorded but the job
    still runs again."""

    messages: Sequence[Message] = ()
    jobs: Sequence[NewJob] = ()


Handler = Callable[[Job], Awaitable[Finish | None]]
FailureHook = Callable[[Job, str], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    handler: Handler
    limit: Limit | None = None


class Outbox:
    """Runs jobs at least once, in order per ordering key, under per-destination limits.

    A handler raises :class:`RetryableError` or :class:`PermanentError`; anything else is
    treated as retryable. Permanent failures, and retryable ones that exhausted the
    policy, mark the job failed and call the failure hooks so the operator is told.
    """

    def __init__(self, storage: BaseStorage, *, clock: Clock, metrics: Metrics,
                 policy: RetryPolicy | None = None, lease: float = 60.0, batch: int = 32,
                 poll_interval: float = 0.2, seed: int | None = None) -> None:
        """:param batch: how many jobs run at once (and the most one claim takes)"""
        self.storage, self.clock, self.metrics = storage, clock, metrics
        self.policy = policy or RetryPolicy()
        self.lease, self.batch, self.poll_interval = lease, batch, poll_interval
        self.routes: dict[str, Route] = {}
        self.failure_hooks: list[FailureHook] = []
        self._rng = random.Random(seed)
        self._store = Outage("outbox: store", logger=loggers.outbox, clock=clock, rng=self._rng)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._stopping = False

    def route(self, kind: str, handler: Handler, *, limit: Limit | None = None) -> None:
        """Run ``kind`` jobs with ``handler``, each only with a token from ``limit``'s
        bucket: the store takes it as it claims the job (one trip on Redis), and a job
        without one waits in the queue until its token is due. Nothing wakes the worker
        for that: the job is picked up at the first poll after, and that slack keeps the
        sends a little under the platform's own rate, where network jitter would otherwise
        earn 429s (``make bench``: 14 instead of 29 for 50 posts, all visible at 50.7 s
        instead of 65 s against 50 s ideal)."""
        self.routes[kind] = Route(handler, limit)

    def _limits(self) -> dict[str, Limit]:
        """The rate limit of each kind that has one, as the store's claim takes them."""
        return {kind: r.limit for kind, r in self.routes.items() if r.limit is not None}

    def on_failure(self, hook: FailureHook) -> None:
        self.failure_hooks.append(hook)

    def notify(self) -> None:
        """Wake the worker now: a job was enqueued in this process."""
        self._wake.set()

    def _now(self) -> float:
        return self.clock.now().timestamp()

    async def run_once(self) -> int:
        """Claim a batch of due jobs and run them; :return: how many were claimed."""
        jobs = await self.storage.claim_jobs(now=self._now(), lease=self.lease, limit=self.batch,
                                             limits=self._limits())
        if jobs:
            # Claimed jobs never share an ordering key, so they may run side by side.
            await asyncio.gather(*(self._run_tracked(job) for job in jobs))
        return len(jobs)

    async def run_until_idle(self, max_rounds: int = 1000) -> None:
        """Run due jobs until none is left due (tests, benchmarks)."""
        for _ in range(max_rounds):
            if await self.run_once() == 0:
                return

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self.run_forever(), name="outbox")

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the jobs in hand (up to ``timeout``); jobs cut off are released at once."""
        self._stopping = True
        self._wake.set()
        if self._task is None:
            return
        done, _ = await asyncio.wait({self._task}, timeout=timeout)
        if not done:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def run_forever(self) -> None:
        """Keep up to ``batch`` jobs running: claim more as soon as some finish, rather
        than waiting for a whole batch (one slow send would hold up the rest)."""
        try:
            while not self._stopping:
                # Cleared before the claim, so a notify() during it is not lost.
                self._wake.clear()
                try:
                    claimed = await self._claim_more()
                except Exception as exc:  # the store is down: keep the worker alive, quietly
                    await self._pause(self._store.failed(exc))
                    continue
                if claimed == 0:
                    await self._idle()
        finally:
            if self._running:  # stop(): finish what is in hand
                await asyncio.gather(*self._running, return_exceptions=True)

    async def _claim_more(self) -> int:
        free = self.batch - len(self._running)
        if free <= 0:
            return 0
        jobs = await self.storage.claim_jobs(now=self._now(), lease=self.lease, limit=free,
                                             limits=self._limits())
        self._store.succeeded()
        for job in jobs:
            # A claimed job never shares its ordering key with a running one.
            task = asyncio.create_task(self._run_tracked(job), name=f"job-{job.id}")
            self._running.add(task)
            task.add_done_callback(self._finished)
        return len(jobs)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._wake.set()  # a slot is free, and the job's successor may be due now

    async def _idle(self) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)
        except TimeoutError:
            pass

    async def _pause(self, seconds: float) -> None:
        """Wait ``seconds`` on the clock, or less when woken: by stop(), or by a job
        enqueued in this process (the store answered that)."""
        sleeping = asyncio.ensure_future(self.clock.sleep(seconds))
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeping, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (sleeping, woken):
                waiter.cancel()
            await asyncio.gather(sleeping, woken, return_exceptions=True)

    async def _run_tracked(self, job: Job) -> None:
        try:
            await self._run(job)
        except asyncio.CancelledError:
            # Shutdown cut the job off: hand it back now rather than after the lease.
            await asyncio.shield(self.storage.retry_job(
                job, due_at=self._now(), error=job.last_error, count_attempt=False))
            raise
        except Exception as exc:
            # The store failed while recording how the job went (handlers' own errors are
            # handled in _run): it keeps its lease, and runs again once that runs out.
            # One line, no traceback: with the store down, every job in hand ends here.
            loggers.outbox.error(
                "job %s (%s): the store failed to record its outcome (%s); it runs again "
                "after its %gs lease", job.id, job.kind, short_reason(exc), self.lease)

    async def _run(self, job: Job) -> None:
        route = self.routes.get(job.kind)
        if route is None:
            # Its channel is switched off in this process: keep it for one that has it.
            await self._handle_error(job, DeliveryError(
                f"no handler for {job.kind!r} here (is its channel configured?)",
                code="unrouted"))
            return
        try:
            finish = await route.handler(job)
        except DeliveryError as exc:
            await self._hold_on_rate_limit(job, route, exc)
            await self._handle_error(job, exc)
        except Exception as exc:
            loggers.outbox.exception("job %s (%s) crashed", job.id, job.kind)
            await self._handle_error(job, DeliveryError(f"internal error: {type(exc).__name__}",
                                                        code="internal"))
        else:
            await self._done(job, finish or Finish())

    def _wake_in(self, delay: float) -> None:
        """Claim again when a job put off here falls due, rather than up to a poll later."""
        asyncio.get_running_loop().call_later(delay, self._wake.set)

    async def _hold_on_rate_limit(self, job: Job, route: Route, exc: DeliveryError) -> None:
        """A 429 with Retry-After speaks for the destination, not for this one job: hold
        its bucket, so the jobs sharing it wait too instead of each earning a 429."""
        limit = route.limit
        if limit is None or not exc.retry_after:
            return
        now, bucket = self._now(), limit.bucket_for(job)
        try:
            await self.storage.hold_bucket(bucket, rate=limit.rate,
                                           until=now + exc.retry_after, now=now)
        except Exception:  # the job's own retry below still honours Retry-After
            loggers.outbox.exception("could not hold bucket %s", bucket)

    async def _done(self, job: Job, finish: Finish) -> None:
        await self.storage.complete_job(job, save=finish.messages, enqueue=finish.jobs,
                                        now=self._now())
        if finish.jobs:
            self._wake.set()
        self.metrics.messages_out.labels(job.kind).inc()
        self.metrics.latency.labels(job.kind).observe(max(0.0, self._now() - job.created_at))

    async def _handle_error(self, job: Job, exc: DeliveryError) -> None:
        self.metrics.failures.labels(job.kind, exc.code).inc()
        attempts = job.attempts + 1
        if not exc.retryable or self.policy.exhausted(attempts):
            await self._fail(job, exc.reason, exc.code)
            return
        delay = self.policy.delay(attempts, exc.retry_after, self._rng)
        loggers.outbox.warning("job %s (%s) failed (%s); retry %d in %.1fs",
                               job.id, job.kind, exc.code, attempts, delay)
        await self.storage.retry_job(job, due_at=self._now() + delay, error=exc.reason)
        self._wake_in(delay)

    async def _fail(self, job: Job, reason: str, code: str) -> None:
        loggers.outbox.error("job %s (%s) failed for good (%s)", job.id, job.kind, code)
        # Hooks run before the job leaves the queue, so whoever waits for an empty outbox
        # also sees the notice a hook enqueued; their jobs are deduped by the failed job's id.
        for hook in self.failure_hooks:
            try:
                await hook(job, reason)
            except Exception:
                loggers.outbox.exception("failure hook for job %s crashed", job.id)
        await self.storage.fail_job(job, error=reason)
