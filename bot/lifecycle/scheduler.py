"""The lifecycle sweeper: applies the timers that are due, one process at a time.

``run_once(now)`` is the whole job (tests call it with a fake clock); ``run_forever`` only
repeats it. Each sweep takes or renews a lease in the store, so among several processes
one sweeps and the others stand by until its lease runs out.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

from bot import loggers
from bot.lifecycle.clock import Clock
from bot.lifecycle.policy import LifecyclePolicy, load_lifecycle_policy
from bot.lifecycle.timers import Transition, deadlines, next_due, transition
from bot.lifecycle.transitions import Audience, TransitionEffects
from bot.models import Conversation, NewJob
from bot.outage import Outage, short_reason
from bot.outbox import Outbox
from storage import keys
from storage.base import BaseStorage

LEASE = keys.SWEEPER_LEASE


class Scheduler:
    def __init__(self, *, storage: BaseStorage, outbox: Outbox, effects: TransitionEffects,
                 clock: Clock, interval: float = 30.0, lease_ttl: float = 90.0,
                 batch: int = 100, holder: str | None = None) -> None:
        """
        :param interval: seconds between sweeps (a timer fires at most this late)
        :param lease_ttl: seconds another process waits before taking over from a
            sweeper that stopped renewing its lease
        """
        self.storage, self.outbox, self.effects, self.clock = storage, outbox, effects, clock
        self.interval, self.lease_ttl, self.batch = interval, lease_ttl, batch
        self.holder = holder or uuid.uuid4().hex
        self.outage = Outage("lifecycle sweeper: store", logger=loggers.lifecycle, clock=clock)
        #: False: no loop at start(); sweeps happen only when run_once is called (tests)
        self.loop = True
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def run_once(self, now: datetime) -> int:
        """Apply every timer due at ``now``, if this process holds the sweeper lease.

        :return: how many transitions fired
        """
        fired, seen = 0, set[int]()
        policy: LifecyclePolicy | None = None
        while await self._hold_lease(now):
            policy = policy or await load_lifecycle_policy(self.storage)
            listed = await self.storage.list_due(now, self.batch)
            fresh = [conv for conv in listed if conv.id not in seen]
            for conv in fresh:
                seen.add(conv.id)
                fired += await self._sweep_logged(conv, now, policy)
            if len(listed) < self.batch or not fresh:
                break
        return fired

    async def run_forever(self) -> None:
        while not self._stopping:
            try:
                await self.run_once(self.clock.now())
            except Exception as exc:  # the store is down: the next sweep tries again
                if self._stopping:
                    break
                await self.clock.sleep(max(self.interval, self.outage.failed(exc)))
                continue
            self.outage.succeeded()
            await self.clock.sleep(self.interval)

    async def start(self) -> None:
        if self.loop and self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self.run_forever(), name="lifecycle-sweeper")

    async def stop(self) -> None:
        # The flag too: a cancellation that lands inside a store call may come out as a
        # connection error (redis-py), which the loop would otherwise survive.
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        try:  # hand the lease over now rather than when it runs out
            await self.storage.acquire_lease(LEASE, self.holder, ttl=0,
                                             now=self.clock.now().timestamp())
        except Exception as exc:  # it runs out on its own
            loggers.lifecycle.warning("could not release the sweeper lease (%s)",
                                      short_reason(exc))

    async def _hold_lease(self, now: datetime) -> bool:
        return await self.storage.acquire_lease(LEASE, self.holder, ttl=self.lease_ttl,
                                                now=now.timestamp())

    async def _sweep_logged(self, conv: Conversation, now: datetime,
                            policy: LifecyclePolicy) -> int:
        try:
            return await self._sweep(conv, now, policy)
        except Exception:  # one broken conversation must not hold up every other timer
            loggers.lifecycle.exception("sweeping conversation %s failed", conv.id)
            return 0

    async def _sweep(self, conv: Conversation, now: datetime, policy: LifecyclePolicy) -> int:
        fired = transition(conv, now, policy)
        audience = await self.effects.audience(conv, policy) if fired else Audience()
        # Re-read just before writing: a message may have moved the deadlines meanwhile.
        fresh = await self.storage.get_conversation(conv.id)
        if fresh is None:
            return 0
        if fired is None or transition(fresh, now, policy) is not fired:
            await self._reschedule(fresh, now, policy)
            return 0
        if not await self._claim(fresh, fired, policy):
            return 0  # another sweeper fires it: saving our copy would undo its work
        *announce, refresh = self.effects.apply(fresh, fired, now, policy, audience)
        # Announcements are queued before the new state is saved (at least once, deduped),
        # the card refresh after it so that it renders the new state.
        await self._enqueue(now, announce)
        await self._reschedule(fresh, now, policy, changed=True)
        await self._enqueue(now, [refresh])
        loggers.lifecycle.info("conversation %s: %s", fresh.id, fired.value)
        return 1

    async def _reschedule(self, conv: Conversation, now: datetime, policy: LifecyclePolicy,
                          *, changed: bool = False) -> None:
        due = next_due(conv, now, policy)
        if changed or due != conv.due_at:
            conv.due_at = due
            await self.storage.save_conversation(conv)

    async def _claim(self, conv: Conversation, fired: Transition,
                     policy: LifecyclePolicy) -> bool:
        """Once per deadline across processes, even if two sweeps overlap (a lease that ran
        out mid-sweep); after ``lease_ttl`` the stored status guards on its own."""
        deadline = deadlines(conv, policy)[fired].isoformat()
        return await self.storage.mark_seen(
            keys.lifecycle_deadline(conv.id, fired.value, deadline), self.lease_ttl)

    async def _enqueue(self, now: datetime, new_jobs: list[NewJob]) -> None:
        if new_jobs:
            await self.storage.enqueue(new_jobs, now=now.timestamp())
            self.outbox.notify()
