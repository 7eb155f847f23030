"""The desk's records on SQLite: leads, owner pools and settings (a mixin of SqliteStorage)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from bot.models import Lead
from storage import codec
from storage.sqlite_db import SqliteDb


def _lead(row: sqlite3.Row | None) -> Lead | None:
    return codec.lead_from(json.loads(row["doc"])) if row else None


class SqliteDeskMixin:
    db: SqliteDb

    async def create_lead(self, lead: Lead) -> tuple[Lead, bool]:
        def work(conn: sqlite3.Connection) -> tuple[Lead, bool]:
            existing = _lead(conn.execute(
                "SELECT doc FROM leads WHERE conversation_id = ?", (lead.conversation_id,)
            ).fetchone())
            if existing is not None:
                return existing, False
            cursor = conn.execute("INSERT INTO leads (conversation_id, doc) VALUES (?, '{}')",
                                  (lead.conversation_id,))
            lead.id = cursor.lastrowid or 0
            conn.execute("UPDATE leads SET doc = ? WHERE id = ?",
                         (codec.dumps(codec.lead_doc(lead)), lead.id))
            return lead, True

        return await self.db.tx(work)

    async def get_lead(self, lead_id: int) -> Lead | None:
        return _lead(await self.db.fetchone("SELECT doc FROM leads WHERE id = ?", (lead_id,)))

    async def save_lead(self, lead: Lead) -> None:
        await self.db.write("UPDATE leads SET doc = ? WHERE id = ?",
                            (codec.dumps(codec.lead_doc(lead)), lead.id))

    async def list_leads(self, *, inbox: str | None = None) -> list[Lead]:
        if inbox is None:
            rows = await self.db.fetchall("SELECT doc FROM leads ORDER BY id")
        else:
            rows = await self.db.fetchall(
                "SELECT l.doc FROM leads l JOIN conversations c ON c.id = l.conversation_id"
                " WHERE c.inbox = ? ORDER BY l.id", (inbox,))
        return [lead for lead in map(_lead, rows) if lead is not None]

    async def save_pool(self, name: str, members: Sequence[str]) -> None:
        await self.db.write(
            "INSERT INTO pools (name, members) VALUES (?, ?) ON CONFLICT (name)"
            " DO UPDATE SET members = excluded.members", (name, json.dumps(list(members))))

    async def get_pool(self, name: str) -> list[str] | None:
        row = await self.db.fetchone("SELECT members FROM pools WHERE name = ?", (name,))
        return list(json.loads(row[0])) if row else None

    async def delete_pool(self, name: str) -> bool:
        return await self.db.write("DELETE FROM pools WHERE name = ?", (name,)) == 1

    async def list_pools(self) -> dict[str, list[str]]:
        rows = await self.db.fetchall("SELECT name, members FROM pools ORDER BY name")
        return {row[0]: list(json.loads(row[1])) for row in rows}

    async def next_in_pool(self, name: str) -> str | None:
        row = await self.db.tx(lambda conn: conn.execute(
            "UPDATE pools SET cursor = cursor + 1 WHERE name = ? RETURNING members, cursor",
            (name,)).fetchone())
        if row is None or not (members := json.loads(row[0])):
            return None
        return str(members[(row[1] - 1) % len(members)])

    async def _read_setting(self, name: str) -> str | None:
        row = await self.db.fetchone("SELECT value FROM settings WHERE name = ?", (name,))
        return str(row[0]) if row else None

    async def _write_setting(self, name: str, raw: str | None) -> None:
        if raw is None:
            await self.db.write("DELETE FROM settings WHERE name = ?", (name,))
            return
        await self.db.write(
            "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name)"
            " DO UPDATE SET value = excluded.value", (name, raw))
