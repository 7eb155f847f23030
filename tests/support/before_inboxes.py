"""Stores as the release before inboxes wrote them: no inbox in any row, document or key.

The SQLite writer builds a schema-version-5 file with the shipped migrations; the Redis
writer sets the keys the previous release's write path set, with its documents, whose
``key`` is ``[channel, chat_id]``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.models import (
    Conversation,
    ConversationKey,
    Customer,
    Direction,
    Lead,
    Message,
    Status,
)
from storage import codec
from storage.redis import RedisStorage
from storage.keys import (
    CONV,
    CONV_BY_KEY,
    CONV_BY_THREAD,
    CONVS,
    CUSTOMER,
    DUE,
    LEAD,
    LEAD_BY_CONV,
    LEADS,
    MSG,
    MSG_BY_CHANNEL_ID,
    MSG_BY_SLACK_TS,
    MSGS,
    SEQ,
)
from storage.sqlite_schema import MIGRATIONS
from tests.support.factories import T0

SCHEMA_BEFORE_INBOXES = 5


@dataclass
class OldRecords:
    customers: list[Customer] = field(default_factory=list)
    conversations: list[Conversation] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list)


def desk(chat_ids: Sequence[str] = ("42",)) -> OldRecords:
    """A customer per chat id, each with a conversation in a thread of ``C1`` and one
    message; the first customer also has an older, closed conversation and a lead."""
    records = OldRecords()
    for n, chat_id in enumerate(chat_ids):
        key = ConversationKey("telegram", chat_id)
        records.customers.append(Customer(key, name=f"Customer {chat_id}", language="en"))
        if n == 0:
            _add_conversation(records, key, Status.CLOSED)
            records.leads.append(Lead(id=1, conversation_id=1, owner="U9", status="New",
                                      source="Telegram", created_by="U1", created_at=T0))
        _add_conversation(records, key, Status.ACTIVE)
    return records


def _add_conversation(records: OldRecords, key: ConversationKey, status: Status) -> None:
    conv_id = len(records.conversations) + 1
    records.conversations.append(Conversation(
        id=conv_id, key=key, status=status, created_at=T0 + timedelta(minutes=conv_id),
        slack_channel="C1", thread_ts=f"1700000000.{conv_id:06d}", last_customer_at=T0,
        lead_id=1 if conv_id == 1 else None))
    records.messages.append(Message(
        id=len(records.messages) + 1, conversation_id=conv_id, direction=Direction.IN,
        author=key.chat_id, created_at=T0, text=f"message {conv_id}",
        channel_message_id=str(conv_id), slack_ts=f"1700000001.{conv_id:06d}",
        slack_channel="C1"))


def _without_inbox(doc: dict[str, Any]) -> dict[str, Any]:
    key = doc["key"]
    return {**doc, "key": [key[0], key[1]]}


def customer_doc(customer: Customer) -> str:
    return json.dumps(_without_inbox(codec.customer_doc(customer)))


def conversation_doc(conv: Conversation) -> str:
    return json.dumps(_without_inbox(codec.conversation_doc(conv)))


def write_sqlite(path: Path, records: OldRecords) -> None:
    """A SQLite file at schema version 5 holding ``records``."""
    with sqlite3.connect(path) as db:
        for script in MIGRATIONS[:SCHEMA_BEFORE_INBOXES]:
            db.executescript(script)
        for customer in records.customers:
            db.execute("INSERT INTO customers (channel, chat_id, doc) VALUES (?, ?, ?)",
                       (customer.key.channel, customer.key.chat_id, customer_doc(customer)))
        for conv in records.conversations:
            db.execute(
                "INSERT INTO conversations (id, channel, chat_id, status, slack_channel,"
                " thread_ts, due_at, doc) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
                (conv.id, conv.key.channel, conv.key.chat_id, conv.status.value,
                 conv.slack_channel, conv.thread_ts, conversation_doc(conv)))
        for msg in records.messages:
            db.execute(
                "INSERT INTO messages (id, conversation_id, channel_message_id, slack_ts,"
                " slack_channel, doc) VALUES (?, ?, ?, ?, ?, ?)",
                (msg.id, msg.conversation_id, msg.channel_message_id, msg.slack_ts,
                 msg.slack_channel, codec.dumps(codec.message_doc(msg))))
        for lead in records.leads:
            db.execute("INSERT INTO leads (id, conversation_id, doc) VALUES (?, ?, ?)",
                       (lead.id, lead.conversation_id, codec.dumps(codec.lead_doc(lead))))
        db.execute(f"PRAGMA user_version={SCHEMA_BEFORE_INBOXES}")


async def write_redis(store: RedisStorage, records: OldRecords) -> None:
    """The keys the previous release's write path set for ``records``."""
    k, pipe = store._k, store._redis.pipeline(transaction=True)
    for customer in records.customers:
        pipe.set(k(CUSTOMER, str(customer.key)), customer_doc(customer))
    for conv in records.conversations:
        pipe.set(k(CONV, conv.id), conversation_doc(conv))
        pipe.set(k(CONV_BY_THREAD, conv.slack_channel, conv.thread_ts), conv.id)
        pipe.set(k(CONV_BY_KEY, str(conv.key)), conv.id)  # the latest one wins
        pipe.rpush(k(CONVS), conv.id)
        if conv.due_at is not None:
            pipe.zadd(k(DUE), {str(conv.id): conv.due_at.timestamp()})
    for msg in records.messages:
        pipe.set(k(MSG, msg.id), codec.dumps(codec.message_doc(msg)))
        pipe.rpush(k(MSGS, msg.conversation_id), msg.id)
        pipe.set(k(MSG_BY_SLACK_TS, msg.slack_channel, msg.slack_ts), msg.id)
        pipe.set(k(MSG_BY_CHANNEL_ID, msg.conversation_id, msg.channel_message_id), msg.id)
    for lead in records.leads:
        pipe.set(k(LEAD, lead.id), codec.dumps(codec.lead_doc(lead)))
        pipe.set(k(LEAD_BY_CONV, lead.conversation_id), lead.id)
        pipe.rpush(k(LEADS), lead.id)
    for kind, items in ((CONV, records.conversations), (MSG, records.messages),
                        (LEAD, records.leads)):
        pipe.set(k(SEQ, kind), len(items))
    await pipe.execute()
