"""SqliteStorage: the embedded default store (one file, WAL, migrations at start-up)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.models import (
    Conversation,
    ConversationKey,
    Customer,
    InboundMessage,
    Ingested,
    Lead,
    Message,
    NewJob,
    Status,
)
from storage import codec
from storage.base import (
    BaseStorage,
    JobPlan,
    Reuse,
    inbound_message,
    merged_customer,
    successor,
    touched,
)
from storage.sqlite_extras import SqliteExtrasMixin
from storage.sqlite_db import SqliteDb, path_from_url
from storage.sqlite_outbox import SqliteOutboxMixin, insert_jobs, mark_seen_in

_CONV_COLUMNS = "(id, channel, chat_id, status, slack_channel, thread_ts, due_at, doc)"
_CONV_REPLACE = f"REPLACE INTO conversations {_CONV_COLUMNS} VALUES (?, ?, ?, ?, ?, ?, ?, ?)"


def _conv_row(conv: Conversation) -> tuple[Any, ...]:
    due = conv.due_at.timestamp() if conv.due_at else None
    return (conv.id, conv.key.channel, conv.key.chat_id, conv.status.value,
            conv.slack_channel, conv.thread_ts, due, codec.dumps(codec.conversation_doc(conv)))


def _conv(row: aiosqlite.Row | None) -> Conversation | None:
    return codec.conversation_from(json.loads(row["doc"])) if row else None


def _msg(row: aiosqlite.Row | None) -> Message | None:
    return codec.message_from(json.loads(row["doc"])) if row else None


def _lead(row: aiosqlite.Row | None) -> Lead | None:
    return codec.lead_from(json.loads(row["doc"])) if row else None


async def _insert_message(conn: aiosqlite.Connection, msg: Message) -> Message:
    cursor = await conn.execute(
        "INSERT INTO messages (conversation_id, channel_message_id, slack_ts, doc)"
        " VALUES (?, ?, ?, '{}')", (msg.conversation_id, msg.channel_message_id, msg.slack_ts))
    msg.id = cursor.lastrowid or 0
    await conn.execute("UPDATE messages SET doc = ? WHERE id = ?",
                       (codec.dumps(codec.message_doc(msg)), msg.id))
    return msg


async def _upsert_customer(conn: aiosqlite.Connection, customer: Customer) -> None:
    key = (customer.key.channel, customer.key.chat_id)
    row = await (await conn.execute(
        "SELECT doc FROM customers WHERE channel = ? AND chat_id = ?", key)).fetchone()
    old = codec.customer_from(json.loads(row["doc"])) if row else None
    await conn.execute("REPLACE INTO customers (channel, chat_id, doc) VALUES (?, ?, ?)",
                       (*key, codec.dumps(codec.customer_doc(merged_customer(old, customer)))))


async def _open_or_touch(
    conn: aiosqlite.Connection, inbound: InboundMessage, now: datetime, reuse: Reuse | None
) -> tuple[Conversation, bool]:
    row = await (await conn.execute(
        "SELECT doc FROM conversations WHERE channel = ? AND chat_id = ? ORDER BY id DESC"
        " LIMIT 1", (inbound.key.channel, inbound.key.chat_id))).fetchone()
    current = _conv(row)
    conv = current if current is not None and (reuse is None or reuse(current)) else None
    opened = conv is None
    if conv is None:
        cursor = await conn.execute(
            f"INSERT INTO conversations {_CONV_COLUMNS}"
            " VALUES (NULL, ?, ?, 'new', '', '', NULL, '{}')",
            (inbound.key.channel, inbound.key.chat_id))
        conv = successor(current, Conversation(
            id=cursor.lastrowid or 0, key=inbound.key, status=Status.NEW, created_at=now))
    await conn.execute(_CONV_REPLACE, _conv_row(touched(conv, now)))
    return conv, opened


class SqliteStorage(SqliteOutboxMixin, SqliteExtrasMixin, BaseStorage):
    def __init__(self, db: SqliteDb) -> None:
        self.db = db

    @classmethod
    async def from_url(cls, url: str) -> SqliteStorage:
        return cls(await SqliteDb.open(path_from_url(url)))

    async def ping(self) -> bool:
        return await self.db.fetchone("SELECT 1") is not None

    async def close(self) -> None:
        await self.db.close()

    async def ingest(
        self, inbound: InboundMessage, *, now: datetime, plan: JobPlan, seen_ttl: float,
        reuse: Reuse | None = None,
    ) -> Ingested | None:
        async with self.db.tx() as conn:
            if not await mark_seen_in(conn, inbound.event_key, seen_ttl):
                return None
            await _upsert_customer(conn, inbound.customer)
            conv, opened = await _open_or_touch(conn, inbound, now, reuse)
            msg = await _insert_message(
                conn, inbound_message(inbound, conversation_id=conv.id, now=now))
            job_ids = await insert_jobs(conn, plan(conv, msg, opened), now.timestamp())
        return Ingested(conversation=conv, message=msg, opened=opened, job_ids=tuple(job_ids))

    async def add_message(
        self, message: Message, jobs: Callable[[Message], Sequence[NewJob]]
    ) -> tuple[Message, tuple[int, ...]]:
        async with self.db.tx() as conn:
            msg = await _insert_message(conn, message)
            job_ids = await insert_jobs(conn, jobs(msg), message.created_at.timestamp())
        return msg, tuple(job_ids)

    async def get_customer(self, key: ConversationKey) -> Customer | None:
        row = await self.db.fetchone(
            "SELECT doc FROM customers WHERE channel = ? AND chat_id = ?", (key.channel, key.chat_id))
        return codec.customer_from(json.loads(row["doc"])) if row else None

    async def get_conversation(self, conversation_id: int) -> Conversation | None:
        return _conv(await self.db.fetchone(
            "SELECT doc FROM conversations WHERE id = ?", (conversation_id,)))

    async def current_conversation(self, key: ConversationKey) -> Conversation | None:
        return _conv(await self.db.fetchone(
            "SELECT doc FROM conversations WHERE channel = ? AND chat_id = ?"
            " ORDER BY id DESC LIMIT 1", (key.channel, key.chat_id)))

    async def find_by_thread(self, slack_channel: str, thread_ts: str) -> Conversation | None:
        return _conv(await self.db.fetchone(
            "SELECT doc FROM conversations WHERE slack_channel = ? AND thread_ts = ?",
            (slack_channel, thread_ts)))

    async def save_conversation(self, conversation: Conversation) -> None:
        await self.db.write(_CONV_REPLACE, _conv_row(conversation))

    async def set_thread(self, conversation_id: int, slack_channel: str,
                         thread_ts: str) -> Conversation:
        async with self.db.tx() as conn:
            conv = _conv(await (await conn.execute(
                "SELECT doc FROM conversations WHERE id = ?", (conversation_id,))).fetchone())
            if conv is None:
                raise LookupError(f"conversation {conversation_id} does not exist")
            conv.slack_channel, conv.thread_ts = slack_channel, thread_ts
            await conn.execute(_CONV_REPLACE, _conv_row(conv))
        return conv

    async def list_due(self, now: datetime, limit: int = 100) -> list[Conversation]:
        rows = await self.db.fetchall(
            "SELECT doc FROM conversations WHERE due_at IS NOT NULL AND due_at <= ?"
            " ORDER BY due_at LIMIT ?", (now.timestamp(), limit))
        return [c for c in map(_conv, rows) if c is not None]

    async def list_conversations(self, status: Status | None = None) -> list[Conversation]:
        if status is None:
            rows = await self.db.fetchall("SELECT doc FROM conversations ORDER BY id")
        else:
            rows = await self.db.fetchall(
                "SELECT doc FROM conversations WHERE status = ? ORDER BY id", (status.value,))
        return [c for c in map(_conv, rows) if c is not None]

    async def get_message(self, message_id: int) -> Message | None:
        return _msg(await self.db.fetchone("SELECT doc FROM messages WHERE id = ?", (message_id,)))

    async def find_message_by_channel_id(
        self, conversation_id: int, channel_message_id: str
    ) -> Message | None:
        return _msg(await self.db.fetchone(
            "SELECT doc FROM messages WHERE conversation_id = ? AND channel_message_id = ?"
            " ORDER BY id LIMIT 1", (conversation_id, channel_message_id)))

    async def find_message_by_slack_ts(self, slack_ts: str) -> Message | None:
        return _msg(await self.db.fetchone(
            "SELECT doc FROM messages WHERE slack_ts = ? ORDER BY id LIMIT 1", (slack_ts,)))

    async def save_message(self, message: Message) -> None:
        await self.db.write(
            "UPDATE messages SET channel_message_id = ?, slack_ts = ?, doc = ? WHERE id = ?",
            (message.channel_message_id, message.slack_ts,
             codec.dumps(codec.message_doc(message)), message.id))

    async def list_messages(self, conversation_id: int) -> list[Message]:
        rows = await self.db.fetchall(
            "SELECT doc FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,))
        return [m for m in map(_msg, rows) if m is not None]

    async def create_lead(self, lead: Lead) -> tuple[Lead, bool]:
        async with self.db.tx() as conn:
            existing = _lead(await (await conn.execute(
                "SELECT doc FROM leads WHERE conversation_id = ?", (lead.conversation_id,)
            )).fetchone())
            if existing is not None:
                return existing, False
            cursor = await conn.execute(
                "INSERT INTO leads (conversation_id, doc) VALUES (?, '{}')", (lead.conversation_id,))
            lead.id = cursor.lastrowid or 0
            await conn.execute("UPDATE leads SET doc = ? WHERE id = ?",
                               (codec.dumps(codec.lead_doc(lead)), lead.id))
        return lead, True

    async def get_lead(self, lead_id: int) -> Lead | None:
        return _lead(await self.db.fetchone("SELECT doc FROM leads WHERE id = ?", (lead_id,)))

    async def save_lead(self, lead: Lead) -> None:
        await self.db.write("UPDATE leads SET doc = ? WHERE id = ?",
                            (codec.dumps(codec.lead_doc(lead)), lead.id))

    async def list_leads(self) -> list[Lead]:
        rows = await self.db.fetchall("SELECT doc FROM leads ORDER BY id")
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
        async with self.db.tx() as conn:
            row = await (await conn.execute(
                "UPDATE pools SET cursor = cursor + 1 WHERE name = ? RETURNING members, cursor",
                (name,))).fetchone()
        if row is None or not (members := json.loads(row[0])):
            return None
        return str(members[(row[1] - 1) % len(members)])

    async def get_setting(self, name: str) -> Any | None:
        row = await self.db.fetchone("SELECT value FROM settings WHERE name = ?", (name,))
        return json.loads(row[0]) if row else None

    async def set_setting(self, name: str, value: Any) -> None:
        if value is None:
            await self.db.write("DELETE FROM settings WHERE name = ?", (name,))
            return
        await self.db.write(
            "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name)"
            " DO UPDATE SET value = excluded.value", (name, json.dumps(value)))
