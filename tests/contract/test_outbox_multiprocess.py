"""Two OS processes draining one outbox take every job exactly once."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.base import BaseStorage
from tests.support.factories import job

ROOT = Path(__file__).resolve().parents[2]
JOBS = 1200
NOW = 1_000.0
Shared = tuple[BaseStorage, str, str]


@pytest.fixture(params=["sqlite_storage", pytest.param("redis_storage", marks=pytest.mark.redis)])
async def shared(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Shared]:
    """A store, plus the URL and key prefix another process needs to open it too."""
    if request.param == "sqlite_storage":
        from storage.sqlite import SqliteStorage

        url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
        store = await SqliteStorage.from_url(url)
        yield store, url, ""
        await store.close()
        return
    from storage.redis import RedisStorage

    url, prefix = request.getfixturevalue("redis_server_url"), f"mp{uuid.uuid4().hex[:10]}"
    redis_store = await RedisStorage.from_url(url, prefix=prefix)
    yield redis_store, url, prefix
    await redis_store.drop_everything()
    await redis_store.close()


async def _start_worker(url: str, prefix: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.support.claim_worker", url, prefix, str(NOW),
        cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)


async def _run_workers(url: str, prefix: str, count: int) -> list[list[tuple[int, str]]]:
    workers = [await _start_worker(url, prefix) for _ in range(count)]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert await asyncio.wait_for(worker.stdout.readline(), 30) == b"ready\n"
        # Released together, so the two really compete for the same jobs.
        outputs = await asyncio.wait_for(
            asyncio.gather(*(worker.communicate(b"go\n") for worker in workers)), 120)
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
    for worker, (_, err) in zip(workers, outputs):
        assert worker.returncode == 0, err.decode()
    return [_taken(out.decode()) for out, _ in outputs]


def _taken(out: str) -> list[tuple[int, str]]:
    rows = [line.split("\t") for line in out.splitlines()]
    return [(int(job_id), key) for job_id, key in rows]


def _in_order_per_key(taken: list[tuple[int, str]]) -> bool:
    last: dict[str, int] = {}
    for job_id, key in taken:
        if key and last.get(key, 0) > job_id:
            return False
        last[key] = job_id
    return True


async def test_two_processes_claim_every_job_exactly_once(shared: Shared) -> None:
    store, url, prefix = shared
    new_jobs = [job(n, ordering_key=f"k{n % 37}" if n % 4 else "") for n in range(JOBS)]
    ids: list[int] = []
    for start in range(0, JOBS, 200):
        ids += await store.enqueue(new_jobs[start:start + 200], now=NOW)
    assert len(set(ids)) == JOBS

    taken = await _run_workers(url, prefix, 2)

    claimed = [job_id for worker in taken for job_id, _ in worker]
    assert len(claimed) == len(set(claimed)), "a job was handed out twice"
    assert set(claimed) == set(ids)
    assert all(taken), "one process took no job: the test did not exercise contention"
    assert all(_in_order_per_key(worker) for worker in taken)
    assert (await store.outbox_stats(now=NOW)).depth == 0
