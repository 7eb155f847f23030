"""Outbox and token buckets on Redis (a mixin of RedisStorage); the logic is in Lua."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any, cast

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from bot.models import Job, JobState, Limit, NewJob, OutboxStats
from storage import codec
from storage import redis_scripts as lua
from storage.keys import BUCKET, FAILED, JOB, LIVE, RedisKeys
from storage.redis_writes import Writes

_JOB_FIELDS = tuple(f.name for f in fields(Job) if f.name != "id")


class Conflict(Exception):
    """A compare-and-set write found a key changed since it was read (see ``_commit``)."""


to_json = codec.dumps  # each job field is stored as its own compact JSON text


def _new_job(new: NewJob, now: float) -> Job:
    return Job(id=0, kind=new.kind, payload=dict(new.payload), dedupe_key=new.dedupe_key,
               ordering_key=new.ordering_key, state=JobState.PENDING, attempts=0,
               due_at=now + new.delay, created_at=now)


def _job_values(job: Job) -> list[str]:
    doc = codec.job_doc(job)
    return [to_json(doc[name]) for name in _JOB_FIELDS]


def _job_from_hash(flat: dict[str, str]) -> Job:
    doc = {name: json.loads(value) for name, value in flat.items()}
    doc.setdefault("runs", 0)  # jobs enqueued before the field existed
    return codec.job_from(doc)


def _job_from_reply(reply: list[str]) -> Job:
    return _job_from_hash(dict(zip(reply[::2], reply[1::2])))


class RedisOutboxMixin:
    _redis: Redis
    _keys: RedisKeys
    _lua: dict[str, AsyncScript]

    def _k(self, *parts: str | int) -> str:
        return self._keys.key(*parts)

    async def _run(self, script: str, *args: str | int | float) -> Any:
        return await self._lua[script](args=[self._keys.prefix, *args])

    def _enqueue_tail(self, jobs: Sequence[NewJob], now: float) -> list[str | int]:
        """The scripts' enqueue arguments: field names, then each job's values."""
        args: list[str | int] = [len(_JOB_FIELDS), *_JOB_FIELDS]
        for new in jobs:
            args += [new.dedupe_key, new.ordering_key, *_job_values(_new_job(new, now))]
        return args

    async def _commit(self, writes: Writes, jobs: Sequence[NewJob], now: float,
                      expect: Sequence[tuple[str, str]] = ()) -> tuple[int, ...]:
        """The writes and the new jobs, atomically in one trip, provided every key in
        ``expect`` still holds the value given ('' = missing). :return: the jobs' ids
        :raise Conflict: something else wrote one of those keys first; nothing was written"""
        pairs = [part for pair in expect for part in pair]
        args = [self._keys.prefix, len(pairs), *pairs, len(writes.ops), *writes.ops,
                *self._enqueue_tail(jobs, now)]
        ids = await self._lua[lua.COMMIT](args=args)
        if ids is None:
            raise Conflict("a document changed while it was being updated")
        return tuple(ids)

    async def enqueue(self, jobs: Sequence[NewJob], *, now: float) -> list[int]:
        if not jobs:
            return []
        return list(await self._commit(Writes(), jobs, float(now)))

    async def _complete(self, job: Job, writes: Writes, jobs: Sequence[NewJob],
                        now: float) -> bool:
        args = [self._keys.prefix, job.id, to_json(job.lease_token), len(writes.ops), *writes.ops,
                *self._enqueue_tail(jobs, now)]
        return bool(await self._lua[lua.COMPLETE](args=args))

    async def claim_jobs(self, *, now: float, lease: float, limit: int,
                         limits: Mapping[str, Limit] | None = None) -> list[Job]:
        """One trip: the script takes the limited jobs' tokens as it claims them."""
        if limit <= 0:
            return []
        rules: list[str | int | float] = []
        for kind, rule in (limits or {}).items():
            rules += [to_json(kind), rule.bucket, rule.rate, rule.burst, rule.naming]
        replies = await self._run(lua.CLAIM, now, lease, limit, secrets.token_hex(8),
                                  len(rules) // 5, *rules)
        return sorted(map(_job_from_reply, replies), key=lambda job: job.id)

    async def retry_job(
        self, job: Job, *, due_at: float, error: str, count_attempt: bool = True,
        ran: bool = True,
    ) -> bool:
        return bool(await self._run(lua.RETRY, job.id, to_json(job.lease_token),
                                    to_json(float(due_at)), to_json(error), int(count_attempt),
                                    int(ran)))

    async def fail_job(self, job: Job, *, error: str) -> bool:
        return bool(await self._run(lua.FAIL, job.id, to_json(job.lease_token), to_json(error)))

    async def get_job(self, job_id: int) -> Job | None:
        flat = cast(dict[str, str], await self._redis.hgetall(self._k(JOB, job_id)))
        return _job_from_hash(flat) if flat else None

    async def outbox_stats(self, *, now: float) -> OutboxStats:
        pipe = self._redis.pipeline(transaction=True)
        pipe.zcard(self._k(LIVE))
        pipe.scard(self._k(FAILED))
        pipe.zrange(self._k(LIVE), 0, 0, withscores=True)
        depth, failed, oldest = await pipe.execute()
        return OutboxStats(depth=depth, failed=failed,
                           oldest_age=now - oldest[0][1] if oldest else 0.0)

    async def hold_bucket(self, bucket: str, *, rate: float, until: float, now: float) -> None:
        # Tokens below zero refill to one exactly at ``until``: take_token waits until then.
        tokens = 1 - max(0.0, until - now) * rate
        await self._redis.hset(self._k(BUCKET, bucket),
                               mapping={"tokens": repr(tokens), "ts": repr(float(now))})

    async def take_token(self, bucket: str, *, rate: float, burst: float, now: float) -> float:
        script = self._lua[lua.TAKE_TOKEN]
        return float(await script(keys=[self._k(BUCKET, bucket)], args=[rate, burst, now]))
