"""The SQLite store moves its write-ahead log into the database file in the background."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage.sqlite import SqliteStorage
from tests.support.factories import T0, inbound, relay_plan


async def test_the_database_file_takes_in_the_log_while_the_store_is_open(
    tmp_path: Path
) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await SqliteStorage.from_url(f"sqlite:///{path}")
    try:
        empty = path.stat().st_size
        for n in range(300):
            got = await store.ingest(inbound(str(n), "1"), now=T0, plan=relay_plan,
                                     seen_ttl=60.0)
            assert got is not None
        # automatic checkpoints are off on the store's own connection: only the
        # background checkpointer copies the pages over
        for _ in range(50):
            if path.stat().st_size > empty:
                break
            await asyncio.sleep(0.1)
        assert path.stat().st_size > empty
        assert len(await store.list_conversations()) == 300
    finally:
        await store.close()
