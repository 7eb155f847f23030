"""One outbox worker in its own OS process, for the multi-process claim test.

``python -m tests.support.claim_worker STORAGE_URL PREFIX NOW`` prints ``ready``, waits for
a line on stdin, then claims and completes jobs until the outbox is empty, printing
``<job id>\\t<ordering key>`` for each job when it has claimed it.
"""

from __future__ import annotations

import asyncio
import sys

from storage.base import BaseStorage


async def open_store(url: str, prefix: str) -> BaseStorage:
    if url.startswith("sqlite://"):
        from storage.sqlite import SqliteStorage

        return await SqliteStorage.from_url(url)
    from storage.redis import RedisStorage

    return await RedisStorage.from_url(url, prefix=prefix)


async def drain(store: BaseStorage, now: float) -> None:
    while True:
        jobs = await store.claim_jobs(now=now, lease=3600, limit=5)
        if not jobs:
            # Empty only once the other worker's running jobs are done too.
            if (await store.outbox_stats(now=now)).depth == 0:
                return
            await asyncio.sleep(0.001)
        for job in jobs:
            print(f"{job.id}\t{job.ordering_key}")
            if not await store.complete_job(job):
                raise RuntimeError(f"the lease of job {job.id} was lost")
        # A handler's work takes time: without it one process can drain a local SQLite
        # file (microseconds a claim) before the other has made its first claim.
        await asyncio.sleep(0.001)


async def main(url: str, prefix: str, now: float) -> None:
    store = await open_store(url, prefix)
    try:
        print("ready", flush=True)
        sys.stdin.readline()
        await drain(store, now)
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
