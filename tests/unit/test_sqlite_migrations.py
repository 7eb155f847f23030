"""A database made by an older release is upgraded in place at start-up."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage.sqlite import SqliteStorage
from storage.sqlite_schema import MIGRATIONS
from tests.support.factories import T0, inbound, relay_plan


async def test_a_version_1_database_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0])
        db.execute("INSERT INTO settings (name, value) VALUES ('pref:x', '1')")
        db.execute("PRAGMA user_version=1")
    store = await SqliteStorage.from_url(f"sqlite:///{path}")
    try:
        assert await store.get_setting("pref:x") == 1
        got = await store.ingest(inbound(), now=T0, plan=relay_plan, seen_ttl=60)
        assert got is not None and await store.list_due(T0) == [got.conversation]
    finally:
        await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
