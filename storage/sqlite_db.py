"""The SQLite connection: WAL, migrations, and one writer transaction at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.sqlite_schema import MIGRATIONS


def path_from_url(url: str) -> str:
    """``sqlite:///data/bot.sqlite3`` → ``data/bot.sqlite3``; ``sqlite:////abs`` → ``/abs``."""
    return url.removeprefix("sqlite:///")


class SqliteDb:
    """One aiosqlite connection shared by the process.

    The lock keeps coroutines from interleaving statements of different transactions on
    the shared connection; ``BEGIN IMMEDIATE`` plus ``busy_timeout`` serialize writers
    across processes.
    """

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str) -> SqliteDb:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        for pragma in ("journal_mode=WAL", "busy_timeout=10000", "synchronous=NORMAL"):
            await conn.execute(f"PRAGMA {pragma}")
        db = cls(conn)
        await db.migrate()
        return db

    async def migrate(self) -> None:
        async with self.tx() as conn:
            version = (await (await conn.execute("PRAGMA user_version")).fetchone())[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version={number}")

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            await self.conn.execute("COMMIT")

    async def fetchone(self, sql: str, args: Iterable[Any] = ()) -> aiosqlite.Row | None:
        async with self._lock:
            return await (await self.conn.execute(sql, tuple(args))).fetchone()

    async def fetchall(self, sql: str, args: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self._lock:
            return list(await (await self.conn.execute(sql, tuple(args))).fetchall())

    async def write(self, sql: str, args: Iterable[Any] = ()) -> int:
        async with self.tx() as conn:
            return (await conn.execute(sql, tuple(args))).rowcount

    async def close(self) -> None:
        await self.conn.close()
