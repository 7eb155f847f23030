"""Outbox, token buckets and seen keys on SQLite (a mixin of SqliteStorage)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping, Sequence

from bot.models import Job, JobState, Limit, NewJob, OutboxStats
from storage.sqlite_db import SqliteDb

# How often one claim claims again to fill the places of the jobs it held back.
CLAIM_ROUNDS = 4

_CLAIM = """
UPDATE outbox SET state = 'running', lease_until = :lease_until, runs = runs + 1,
                  lease_token = lower(hex(randomblob(8)))
WHERE id IN (
    SELECT j.id FROM outbox j
    WHERE ((j.state = 'pending' AND j.due_at <= :now)
           OR (j.state = 'running' AND j.lease_until <= :now))
      AND (j.ordering_key = '' OR NOT EXISTS (
            SELECT 1 FROM outbox p WHERE p.ordering_key = j.ordering_key
              AND p.id < j.id AND p.state IN ('pending', 'running')))
    ORDER BY j.due_at, j.id LIMIT :limit)
RETURNING *
"""


def job_from_row(row: sqlite3.Row) -> Job:
    return Job(id=row["id"], kind=row["kind"], payload=json.loads(row["payload"]),
               dedupe_key=row["dedupe_key"], ordering_key=row["ordering_key"],
               state=JobState(row["state"]), attempts=row["attempts"], due_at=row["due_at"],
               created_at=row["created_at"], lease_token=row["lease_token"],
               last_error=row["last_error"], runs=row["runs"])


def insert_jobs(conn: sqlite3.Connection, jobs: Sequence[NewJob], now: float) -> list[int]:
    ids = []
    for job in jobs:
        conn.execute(
            "INSERT INTO outbox (kind, payload, dedupe_key, ordering_key, state, due_at,"
            " created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING",
            (job.kind, json.dumps(dict(job.payload)), job.dedupe_key, job.ordering_key,
             now + job.delay, now))
        row = conn.execute(
            "SELECT id FROM outbox WHERE dedupe_key = ?", (job.dedupe_key,)).fetchone()
        ids.append(row[0])
    return ids


def delete_job(conn: sqlite3.Connection, job: Job) -> bool:
    return conn.execute(
        "DELETE FROM outbox WHERE id = ? AND lease_token = ? AND state = 'running'",
        (job.id, job.lease_token)).rowcount == 1


def mark_seen_in(conn: sqlite3.Connection, event_key: str, ttl: float) -> bool:
    now = time.time()
    cursor = conn.execute(
        "INSERT INTO seen (key, expires_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
        " SET expires_at = excluded.expires_at WHERE seen.expires_at <= ?",
        (event_key, now + ttl, now))
    return cursor.rowcount == 1


class SqliteOutboxMixin:
    db: SqliteDb

    async def mark_seen(self, event_key: str, ttl: float) -> bool:
        return await self.db.tx(lambda conn: mark_seen_in(conn, event_key, ttl))

    async def mark_all_seen(self, event_keys: Sequence[str], ttl: float) -> None:
        def work(conn: sqlite3.Connection) -> None:
            for key in event_keys:
                mark_seen_in(conn, key, ttl)

        if event_keys:
            await self.db.tx(work)

    async def enqueue(self, jobs: Sequence[NewJob], *, now: float) -> list[int]:
        if not jobs:
            return []
        return await self.db.tx(lambda conn: insert_jobs(conn, jobs, now))

    async def claim_jobs(self, *, now: float, lease: float, limit: int,
                         limits: Mapping[str, Limit] | None = None) -> list[Job]:
        def work(conn: sqlite3.Connection) -> list[Job]:
            claimed: list[Job] = []
            for _ in range(CLAIM_ROUNDS):
                want = limit - len(claimed)
                params = {"now": now, "lease_until": now + lease, "limit": want}
                jobs = list(map(job_from_row, conn.execute(_CLAIM, params).fetchall()))
                runnable = [job for job in jobs if not _held_back(conn, job, limits, now)]
                claimed += runnable
                if len(jobs) < want or len(runnable) == len(jobs):
                    break  # nothing more is due, or nothing was held back
            return claimed

        if limit <= 0:
            return []
        return sorted(await self.db.tx(work), key=lambda j: j.id)

    async def retry_job(
        self, job: Job, *, due_at: float, error: str, count_attempt: bool = True,
        ran: bool = True,
    ) -> bool:
        return await self.db.tx(lambda conn: _give_back(
            conn, job, due_at=due_at, error=error, count_attempt=count_attempt, ran=ran))

    async def fail_job(self, job: Job, *, error: str) -> bool:
        # The dedupe key is freed so the same work can be asked for again later.
        return await self.db.write(
            "UPDATE outbox SET state = 'failed', last_error = ?, attempts = attempts + 1,"
            " dedupe_key = dedupe_key || '#failed#' || id, lease_token = ''"
            " WHERE id = ? AND lease_token = ? AND state = 'running'",
            (error, job.id, job.lease_token)) == 1

    async def get_job(self, job_id: int) -> Job | None:
        row = await self.db.fetchone("SELECT * FROM outbox WHERE id = ?", (job_id,))
        return job_from_row(row) if row else None

    async def outbox_stats(self, *, now: float) -> OutboxStats:
        row = await self.db.fetchone(
            "SELECT SUM(state != 'failed'), SUM(state = 'failed'),"
            " MIN(CASE WHEN state != 'failed' THEN created_at END) FROM outbox")
        assert row is not None
        oldest = row[2]
        return OutboxStats(depth=row[0] or 0, failed=row[1] or 0,
                           oldest_age=now - oldest if oldest is not None else 0.0)

    async def take_token(self, bucket: str, *, rate: float, burst: float, now: float) -> float:
        return await self.db.tx(lambda conn: _take_token(conn, bucket, rate, burst, now))

    async def hold_bucket(self, bucket: str, *, rate: float, until: float, now: float) -> None:
        await self.db.tx(lambda conn: _hold_bucket(conn, bucket, rate, until, now))


def _held_back(conn: sqlite3.Connection, job: Job, limits: Mapping[str, Limit] | None,
               now: float) -> bool:
    """Take ``job``'s token; without one, hand the claim back until the token is due."""
    limit = limits.get(job.kind) if limits else None
    if limit is None:
        return False
    wait = _take_token(conn, limit.bucket_for(job), limit.rate, limit.burst, now)
    if wait > 0:
        _give_back(conn, job, due_at=now + wait, error=job.last_error, count_attempt=False,
                   ran=False)
    return wait > 0


def _give_back(conn: sqlite3.Connection, job: Job, *, due_at: float, error: str,
               count_attempt: bool, ran: bool) -> bool:
    """Hand a claimed job back to the queue, due at ``due_at``; False if the lease is lost."""
    return conn.execute(
        "UPDATE outbox SET state = 'pending', due_at = ?, last_error = ?,"
        " attempts = attempts + ?, runs = runs - ?, lease_token = ''"
        " WHERE id = ? AND lease_token = ? AND state = 'running'",
        (due_at, error, int(count_attempt), int(not ran), job.id, job.lease_token)).rowcount == 1


def _hold_bucket(conn: sqlite3.Connection, bucket: str, rate: float, until: float,
                 now: float) -> None:
    # Tokens below zero refill to one exactly at ``until``: take_token waits until then.
    _put_bucket(conn, bucket, 1 - max(0.0, until - now) * rate, now)


def _put_bucket(conn: sqlite3.Connection, bucket: str, tokens: float, ts: float) -> None:
    conn.execute(
        "INSERT INTO buckets (name, tokens, ts) VALUES (?, ?, ?) ON CONFLICT (name)"
        " DO UPDATE SET tokens = excluded.tokens, ts = excluded.ts", (bucket, tokens, ts))


def _take_token(conn: sqlite3.Connection, bucket: str, rate: float, burst: float,
                now: float) -> float:
    row = conn.execute("SELECT tokens, ts FROM buckets WHERE name = ?", (bucket,)).fetchone()
    tokens = burst if row is None else min(burst, row[0] + max(0.0, now - row[1]) * rate)
    wait = 0.0 if tokens >= 1 else (1 - tokens) / rate
    tokens = tokens - 1 if tokens >= 1 else tokens
    _put_bucket(conn, bucket, tokens, now)
    return wait
