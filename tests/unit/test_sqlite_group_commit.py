"""SQLite group commit: write transactions asked for in one loop turn share one commit,
yet each caller gets its own result, and a work that raises is undone alone."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from storage.sqlite_db import SqliteDb


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDb]:
    db = await SqliteDb.open(str(tmp_path / "db.sqlite3"))
    await db.tx(lambda conn: conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)"))
    yield db
    await db.close()


def begins(db: SqliteDb) -> list[str]:
    seen: list[str] = []
    db.conn.set_trace_callback(lambda sql: seen.append(sql) if sql.startswith("BEGIN") else None)
    return seen


def insert(key: str, value: int) -> Callable[[sqlite3.Connection], int | None]:
    return lambda conn: conn.execute("INSERT INTO t VALUES (?, ?)", (key, value)).lastrowid


async def rows(db: SqliteDb) -> dict[str, int]:
    return {r["k"]: r["v"] for r in await db.fetchall("SELECT k, v FROM t")}


async def test_writes_of_one_turn_share_one_transaction(db: SqliteDb) -> None:
    seen = begins(db)
    ids = await asyncio.gather(*(db.tx(insert(f"k{n}", n)) for n in range(10)))
    assert ids == list(range(1, 11))  # each caller got its own row id
    assert len(seen) == 1
    assert await rows(db) == {f"k{n}": n for n in range(10)}


async def test_a_failing_write_is_undone_alone(db: SqliteDb) -> None:
    def half_then_fail(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES ('half', 1)")
        raise LookupError("conversation 7 does not exist")

    results = await asyncio.gather(db.tx(insert("a", 1)), db.tx(half_then_fail),
                                   db.tx(insert("a", 2)), db.tx(insert("b", 3)),
                                   return_exceptions=True)
    assert isinstance(results[1], LookupError)
    assert isinstance(results[2], sqlite3.IntegrityError)  # the duplicate key, alone
    assert await rows(db) == {"a": 1, "b": 3}


async def test_writes_whose_callers_gave_up_before_their_turn_do_not_run(db: SqliteDb) -> None:
    leader = asyncio.ensure_future(db.tx(insert("leader", 1)))
    follower = asyncio.ensure_future(db.tx(insert("follower", 2)))
    dropped = asyncio.ensure_future(db.tx(insert("dropped", 3)))
    await asyncio.sleep(0)  # all three wait for the turn's commit, the first leading
    leader.cancel()
    dropped.cancel()
    assert await follower == 1  # the followers of a cancelled leader are still committed
    for gone in (leader, dropped):
        with pytest.raises(asyncio.CancelledError):
            await gone
    assert await rows(db) == {"follower": 2}


async def test_a_write_after_close_fails_clearly(db: SqliteDb) -> None:
    await db.close()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        await db.tx(insert("late", 1))
