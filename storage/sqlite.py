"""SqliteStorage: the embedded default store (one file, WAL, migrations at start-up)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bot.models import (
    Conversation,
    ConversationKey,
    Customer,
    InboundMessage,
    Ingested,
    Job,
    Message,
    NewJob,
    Status,
)
from storage import codec, keys
from storage.base import BaseStorage, JobPlan, Reuse
from storage.ingest_rules import inbound_message, merged_customer, successor, touched
from storage.sqlite_desk import SqliteDeskMixin
from storage.sqlite_extras import SqliteExtrasMixin
from storage.sqlite_db import SqliteDb, path_from_url
from storage.sqlite_outbox import SqliteOutboxMixin, delete_job, insert_jobs, mark_seen_in

_CONV_COLUMNS = ("(id, inbox, channel, chat_id, status, slack_channel, thread_ts, due_at,"
                 " doc)")
_CONV_REPLACE = f"REPLACE INTO conversations {_CONV_COLUMNS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
# a customer's conversations and their customer record, by the whole key
_KEY_IS = "inbox = ? AND channel = ? AND chat_id = ?"


def _key(key: ConversationKey) -> tuple[str, str, str]:
    """The key columns' values, in ``_KEY_IS``'s order."""
    return key.inbox, key.channel, key.chat_id


def _conv_row(conv: Conversation) -> tuple[Any, ...]:
    due = conv.due_at.timestamp() if conv.due_at else None
    return (conv.id, *_key(conv.key), conv.status.value, conv.slack_channel, conv.thread_ts,
            due, codec.dumps(codec.conversation_doc(conv)))


def _conv(row: sqlite3.Row | None) -> Conversation | None:
    return codec.conversation_from(json.loads(row["doc"])) if row else None


_CURRENT = f"SELECT doc FROM conversations WHERE {_KEY_IS} ORDER BY id DESC LIMIT 1"
_PING = f"REPLACE INTO seen (key, expires_at) VALUES ('{keys.HEALTH_PING}', 0)"
_BY_THREAD = "SELECT doc FROM conversations WHERE slack_channel = ? AND thread_ts = ?"
# ``slack_ts != ''`` lets SQLite use the partial index (else: a table scan)
_BY_SLACK_TS = ("SELECT doc FROM messages WHERE slack_channel = ? AND slack_ts = ?"
                " AND slack_ts != '' ORDER BY id LIMIT 1")


def _msg(row: sqlite3.Row | None) -> Message | None:
    return codec.message_from(json.loads(row["doc"])) if row else None


def _customer(conn: sqlite3.Connection, key: ConversationKey) -> Customer | None:
    row = conn.execute(f"SELECT doc FROM customers WHERE {_KEY_IS}", _key(key)).fetchone()
    return codec.customer_from(json.loads(row["doc"])) if row else None


def _listing_filter(*, status: Status | None,
                    inbox: str | None) -> tuple[str, tuple[str, ...]]:
    """The ``WHERE`` clause (empty when there is no filter) and its parameters."""
    terms = {"status": status.value if status else None, "inbox": inbox}
    used = {column: value for column, value in terms.items() if value is not None}
    if not used:
        return "", ()
    return " WHERE " + " AND ".join(f"{c} = ?" for c in used), tuple(used.values())


def _message_with_conversation(conn: sqlite3.Connection,
                               message_id: int) -> tuple[Message, Conversation] | None:
    msg = _msg(conn.execute("SELECT doc FROM messages WHERE id = ?", (message_id,)).fetchone())
    if msg is None:
        return None
    conv = _conv(conn.execute("SELECT doc FROM conversations WHERE id = ?",
                              (msg.conversation_id,)).fetchone())
    if conv is None:
        raise LookupError(f"conversation {msg.conversation_id} does not exist")
    return msg, conv


# A message that names no Slack channel (stored so by an earlier release) was posted in
# its conversation's: the column says so, the index finds it there.
_SLACK_CHANNEL = ("coalesce(nullif(?, ''), (SELECT slack_channel FROM conversations"
                  " WHERE id = ?), '')")


def _insert_message(conn: sqlite3.Connection, msg: Message) -> Message:
    cursor = conn.execute(
        "INSERT INTO messages (conversation_id, channel_message_id, slack_ts, slack_channel,"
        f" doc) VALUES (?, ?, ?, {_SLACK_CHANNEL}, '{{}}')",
        (msg.conversation_id, msg.channel_message_id, msg.slack_ts, msg.slack_channel,
         msg.conversation_id))
    msg.id = cursor.lastrowid or 0
    conn.execute("UPDATE messages SET doc = ? WHERE id = ?",
                       (codec.dumps(codec.message_doc(msg)), msg.id))
    return msg


def _update_message(conn: sqlite3.Connection, msg: Message) -> None:
    conn.execute(
        "UPDATE messages SET channel_message_id = ?, slack_ts = ?,"
        f" slack_channel = {_SLACK_CHANNEL}, doc = ? WHERE id = ?",
        (msg.channel_message_id, msg.slack_ts, msg.slack_channel, msg.conversation_id,
         codec.dumps(codec.message_doc(msg)), msg.id))


def _upsert_customer(conn: sqlite3.Connection, customer: Customer) -> None:
    old = _customer(conn, customer.key)
    conn.execute("REPLACE INTO customers (inbox, channel, chat_id, doc) VALUES (?, ?, ?, ?)",
                 (*_key(customer.key),
                  codec.dumps(codec.customer_doc(merged_customer(old, customer)))))


def _open_or_touch(
    conn: sqlite3.Connection, inbound: InboundMessage, now: datetime, reuse: Reuse | None
) -> tuple[Conversation, bool]:
    current = _conv(conn.execute(_CURRENT, _key(inbound.key)).fetchone())
    conv = current if current is not None and (reuse is None or reuse(current)) else None
    opened = conv is None
    if conv is None:
        cursor = conn.execute(
            f"INSERT INTO conversations {_CONV_COLUMNS}"
            " VALUES (NULL, ?, ?, ?, 'new', '', '', NULL, '{}')", _key(inbound.key))
        conv = successor(current, Conversation(
            id=cursor.lastrowid or 0, key=inbound.key, status=Status.NEW, created_at=now))
    conn.execute(_CONV_REPLACE, _conv_row(touched(conv, now)))
    return conv, opened


class SqliteStorage(SqliteOutboxMixin, SqliteDeskMixin, SqliteExtrasMixin, BaseStorage):
    def __init__(self, db: SqliteDb) -> None:
        super().__init__()
        self.db = db

    @classmethod
    async def from_url(cls, url: str, *, sqlite_create: bool = False) -> SqliteStorage:
        return cls(await SqliteDb.open(path_from_url(url), sqlite_create=sqlite_create))

    async def ping(self) -> bool:
        # A write, so the check finds what only writing finds: a full disk, a read-only
        # file, a lock never let go of, a file deleted under the bot (SqliteDb.tx).
        await self.db.tx(lambda conn: conn.execute(_PING))
        return True

    async def close(self) -> None:
        await self.db.close()

    async def ingest(
        self, inbound: InboundMessage, *, now: datetime, plan: JobPlan, seen_ttl: float,
        reuse: Reuse | None = None,
    ) -> Ingested | None:
        # ``plan`` and ``reuse`` run on the store's thread, inside the transaction.
        def work(conn: sqlite3.Connection) -> Ingested | None:
            if not mark_seen_in(conn, inbound.event_key, seen_ttl):
                return None
            _upsert_customer(conn, inbound.customer)
            conv, opened = _open_or_touch(conn, inbound, now, reuse)
            msg = _insert_message(conn, inbound_message(inbound, conversation_id=conv.id, now=now))
            job_ids = insert_jobs(conn, plan(conv, msg, opened), now.timestamp())
            return Ingested(conversation=conv, message=msg, opened=opened,
                            job_ids=tuple(job_ids))

        return await self.db.tx(work)

    async def add_message(
        self, message: Message, jobs: Callable[[Message], Sequence[NewJob]],
        *, conversation: Conversation | None = None, seen: Sequence[str] = (),
        seen_ttl: float = 0.0,
    ) -> tuple[Message, tuple[int, ...]]:
        def work(conn: sqlite3.Connection) -> tuple[Message, tuple[int, ...]]:
            msg = _insert_message(conn, message)
            if conversation is not None:
                conn.execute(_CONV_REPLACE, _conv_row(conversation))
            for key in seen:
                mark_seen_in(conn, key, seen_ttl)
            return msg, tuple(insert_jobs(conn, jobs(msg), message.created_at.timestamp()))

        return await self.db.tx(work)

    async def get_customer(self, key: ConversationKey) -> Customer | None:
        return await self.db.call(lambda conn: _customer(conn, key))

    async def get_conversation(self, conversation_id: int) -> Conversation | None:
        return _conv(await self.db.fetchone(
            "SELECT doc FROM conversations WHERE id = ?", (conversation_id,)))

    async def current_conversation(self, key: ConversationKey) -> Conversation | None:
        return _conv(await self.db.fetchone(_CURRENT, _key(key)))

    async def find_by_thread(self, slack_channel: str, thread_ts: str) -> Conversation | None:
        return _conv(await self.db.fetchone(_BY_THREAD, (slack_channel, thread_ts)))

    async def thread_for_new_message(self, slack_channel: str, thread_ts: str,
                                     slack_ts: str) -> Conversation | None:
        def work(conn: sqlite3.Connection) -> Conversation | None:
            conv = _conv(conn.execute(_BY_THREAD, (slack_channel, thread_ts)).fetchone())
            if conv is None or conn.execute(_BY_SLACK_TS, (slack_channel, slack_ts)).fetchone():
                return None
            return conv

        return await self.db.call(work)

    async def save_conversation(self, conversation: Conversation) -> None:
        await self.db.write(_CONV_REPLACE, _conv_row(conversation))

    async def set_thread(self, conversation_id: int, slack_channel: str,
                         thread_ts: str) -> Conversation:
        def work(conn: sqlite3.Connection) -> Conversation:
            conv = _conv(conn.execute(
                "SELECT doc FROM conversations WHERE id = ?", (conversation_id,)).fetchone())
            if conv is None:
                raise LookupError(f"conversation {conversation_id} does not exist")
            conv.slack_channel, conv.thread_ts = slack_channel, thread_ts
            conn.execute(_CONV_REPLACE, _conv_row(conv))
            return conv

        return await self.db.tx(work)

    async def list_due(self, now: datetime, limit: int = 100) -> list[Conversation]:
        rows = await self.db.fetchall(
            "SELECT doc FROM conversations WHERE due_at IS NOT NULL AND due_at <= ?"
            " ORDER BY due_at LIMIT ?", (now.timestamp(), limit))
        return [c for c in map(_conv, rows) if c is not None]

    async def list_conversations(self, status: Status | None = None, *,
                                 inbox: str | None = None) -> list[Conversation]:
        where, params = _listing_filter(status=status, inbox=inbox)
        rows = await self.db.fetchall(f"SELECT doc FROM conversations{where} ORDER BY id",
                                      params)
        return [c for c in map(_conv, rows) if c is not None]

    async def get_message(self, message_id: int) -> Message | None:
        return _msg(await self.db.fetchone("SELECT doc FROM messages WHERE id = ?", (message_id,)))

    async def message_with_conversation(
        self, message_id: int
    ) -> tuple[Message, Conversation] | None:
        return await self.db.call(lambda conn: _message_with_conversation(conn, message_id))

    async def message_for_reply(
        self, message_id: int
    ) -> tuple[Message, Conversation, Customer | None] | None:
        def work(conn: sqlite3.Connection) -> tuple[Message, Conversation, Customer | None] | None:
            found = _message_with_conversation(conn, message_id)
            if found is None:
                return None
            msg, conv = found
            return msg, conv, _customer(conn, conv.key)

        return await self.db.call(work)

    async def find_message_by_channel_id(
        self, conversation_id: int, channel_message_id: str
    ) -> Message | None:
        return _msg(await self.db.fetchone(
            "SELECT doc FROM messages WHERE conversation_id = ? AND channel_message_id = ?"
            " ORDER BY id LIMIT 1", (conversation_id, channel_message_id)))

    async def find_message_by_slack_ts(self, slack_channel: str,
                                       slack_ts: str) -> Message | None:
        return _msg(await self.db.fetchone(_BY_SLACK_TS, (slack_channel, slack_ts)))

    async def save_message(self, message: Message) -> None:
        await self.db.tx(lambda conn: _update_message(conn, message))

    async def complete_job(self, job: Job, *, save: Sequence[Message] = (),
                           enqueue: Sequence[NewJob] = (), now: float = 0.0) -> bool:
        def work(conn: sqlite3.Connection) -> bool:
            for message in save:
                _update_message(conn, message)
            insert_jobs(conn, enqueue, now)
            return delete_job(conn, job)

        return await self.db.tx(work)

    async def list_messages(self, conversation_id: int) -> list[Message]:
        rows = await self.db.fetchall(
            "SELECT doc FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,))
        return [m for m in map(_msg, rows) if m is not None]
