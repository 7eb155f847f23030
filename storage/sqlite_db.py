"""The SQLite connection: WAL, migrations, and one writer transaction at a time.

Every store operation is a plain function run whole on the connection, on the event-loop
thread. That is deliberate, and measured (``make bench``): an operation is 20–100 µs of
SQLite work, while handing it to a thread cost more than the work — a queue put, a thread
switch, a loop wake-up — and, once the loop was busy, the thread then waited for the GIL
for up to Python's 5 ms switch interval after every statement. With no fsync per commit
(WAL, ``synchronous=NORMAL``) nothing here waits on the disk except a WAL checkpoint now
and then; another process holding the write lock is waited for (``busy_timeout``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from storage.sqlite_schema import MIGRATIONS

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], T]


def path_from_url(url: str) -> str:
    """``sqlite:///data/bot.sqlite3`` → ``data/bot.sqlite3``; ``sqlite:////abs`` → ``/abs``."""
    return url.removeprefix("sqlite:///")


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    for pragma in ("journal_mode=WAL", "busy_timeout=10000", "synchronous=NORMAL"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        for statement in filter(str.strip, script.split(";")):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version={number}")


class SqliteDb:
    """One sqlite3 connection shared by the process.

    An operation runs to its end without yielding to the event loop, so operations of
    different coroutines never interleave on the connection, and a cancelled caller
    cannot cut one short; ``BEGIN IMMEDIATE`` plus ``busy_timeout`` serialize writers
    across processes.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._closed = False

    @classmethod
    async def open(cls, path: str) -> SqliteDb:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = cls(_connect(path))
        try:
            await db.tx(_migrate)
        except BaseException:
            await db.close()
            raise
        return db

    async def call(self, work: Work[T]) -> T:
        """Run ``work(conn)`` outside any transaction (reads)."""
        if self._closed:
            raise sqlite3.ProgrammingError("the store is closed")
        return work(self.conn)

    async def tx(self, work: Work[T]) -> T:
        """Run ``work(conn)`` in one write transaction: all of it is kept, or none."""
        return await self.call(lambda conn: _in_transaction(conn, work))

    async def fetchone(self, sql: str, args: Iterable[Any] = ()) -> sqlite3.Row | None:
        return await self.call(lambda conn: conn.execute(sql, tuple(args)).fetchone())

    async def fetchall(self, sql: str, args: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return await self.call(lambda conn: conn.execute(sql, tuple(args)).fetchall())

    async def write(self, sql: str, args: Iterable[Any] = ()) -> int:
        """One statement in its own transaction; :return: the rows it changed."""
        return await self.tx(lambda conn: conn.execute(sql, tuple(args)).rowcount)

    async def close(self) -> None:
        """Close the connection; closing twice is harmless. Later calls raise."""
        if not self._closed:
            self._closed = True
            self.conn.close()


def _in_transaction(conn: sqlite3.Connection, work: Work[T]) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result
