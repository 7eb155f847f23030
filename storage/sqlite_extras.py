"""Leases, named logs and the keyed cache on SQLite (a mixin of SqliteStorage)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from storage.sqlite_db import SqliteDb


class SqliteExtrasMixin:
    db: SqliteDb

    async def acquire_lease(self, name: str, holder: str, *, ttl: float, now: float) -> bool:
        return await self.db.write(
            "INSERT INTO leases (name, holder, until) VALUES (?, ?, ?) ON CONFLICT (name)"
            " DO UPDATE SET holder = excluded.holder, until = excluded.until"
            " WHERE leases.holder = excluded.holder OR leases.until <= ?",
            (name, holder, now + ttl, now)) == 1

    async def append_log(self, name: str, entry: dict[str, Any], *, keep: int = 1000) -> None:
        doc = json.dumps(entry, ensure_ascii=False)

        def append(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO logs (name, doc) VALUES (?, ?)", (name, doc))
            conn.execute(
                "DELETE FROM logs WHERE name = ? AND id NOT IN"
                " (SELECT id FROM logs WHERE name = ? ORDER BY id DESC LIMIT ?)",
                (name, name, keep))

        await self.db.tx(append)

    async def read_log(self, name: str, limit: int) -> list[dict[str, Any]]:
        rows = await self.db.fetchall(
            "SELECT doc FROM logs WHERE name = ? ORDER BY id DESC LIMIT ?", (name, limit))
        return [json.loads(row[0]) for row in rows]

    async def cache_put(self, key: str, value: dict[str, Any], *, ttl: float,
                        now: float) -> None:
        doc = json.dumps(value, ensure_ascii=False)

        def put(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM cache WHERE expires_at <= ?", (now,))
            conn.execute("INSERT INTO cache (key, doc, expires_at) VALUES (?, ?, ?)"
                         " ON CONFLICT (key) DO UPDATE SET doc = excluded.doc,"
                         " expires_at = excluded.expires_at", (key, doc, now + ttl))

        await self.db.tx(put)

    async def cache_get(self, key: str, *, now: float) -> dict[str, Any] | None:
        rows = await self.db.fetchall(
            "SELECT doc FROM cache WHERE key = ? AND expires_at > ?", (key, now))
        return json.loads(rows[0][0]) if rows else None
