"""A database made by an older release is upgraded in place at start-up."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

from bot.models import ConversationKey
from storage import codec
from storage.sqlite import SqliteStorage
from storage.sqlite_schema import MIGRATIONS
from tests.support import before_inboxes
from tests.support.factories import T0, inbound, out_message, relay_plan


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


async def test_messages_of_a_version_4_database_are_found_by_channel_and_ts(
    tmp_path: Path
) -> None:
    path = tmp_path / "v4.sqlite3"
    with sqlite3.connect(path) as db:
        for script in MIGRATIONS[:4]:
            db.executescript(script)
        db.execute("INSERT INTO conversations (id, channel, chat_id, status, slack_channel,"
                   " thread_ts, doc) VALUES (1, 'telegram', '42', 'new', 'C1', '1.1', '{}')")
        # a version-4 message document: it names no Slack channel
        doc = codec.message_doc(out_message(1))
        del doc["slack_channel"]
        doc["id"] = 1
        db.execute("INSERT INTO messages (id, conversation_id, channel_message_id, slack_ts,"
                   " doc) VALUES (1, 1, '', ?, ?)", (doc["slack_ts"], json.dumps(doc)))
        db.execute("PRAGMA user_version=4")
    store = await SqliteStorage.from_url(f"sqlite:///{path}")
    try:
        found = await store.find_message_by_slack_ts("C1", doc["slack_ts"])
        assert found is not None and found.id == 1
        assert await store.find_message_by_slack_ts("C2", doc["slack_ts"]) is None
        found.edited = True
        await store.save_message(found)  # saved again, its document still naming no channel
        assert await store.find_message_by_slack_ts("C1", doc["slack_ts"]) == found
    finally:
        await store.close()


async def test_a_version_5_database_keeps_every_record_and_learns_inboxes(
    tmp_path: Path
) -> None:
    path = tmp_path / "v5.sqlite3"
    old = before_inboxes.desk(("41", "42", "43"))
    before_inboxes.write_sqlite(path, old)
    with sqlite3.connect(path) as db:  # a job the previous release queued, not yet sent
        db.execute("INSERT INTO outbox (kind, payload, dedupe_key, ordering_key, state,"
                   " due_at, created_at) VALUES ('slack.relay_in', '{\"message_id\": 2}',"
                   " 'relay:2', 'conv:2', 'pending', 0, 0)")
    store = await SqliteStorage.from_url(f"sqlite:///{path}")
    try:
        assert await store.list_conversations() == old.conversations
        for conv in old.conversations:
            assert await store.find_by_thread(conv.slack_channel, conv.thread_ts) == conv
            assert await store.list_messages(conv.id) == [
                m for m in old.messages if m.conversation_id == conv.id]
        for customer in old.customers:
            assert await store.get_customer(customer.key) == customer
            latest = [c for c in old.conversations if c.key == customer.key][-1]
            assert await store.current_conversation(customer.key) == latest
        assert await store.list_leads() == old.leads
        (queued,) = await store.claim_jobs(now=1, lease=30, limit=5)
        assert queued.payload == {"message_id": 2}
        # the same chat in a new inbox is a new customer beside the old one, not over it
        acme = ConversationKey("telegram", "42", "acme")
        item = inbound("42", "1")
        got = await store.ingest(
            replace(item, customer=replace(item.customer, key=acme), event_key="acme/1"),
            now=T0, plan=relay_plan, seen_ttl=60)
        assert got is not None and got.opened and got.conversation.key == acme
        assert await store.get_customer(old.customers[1].key) == old.customers[1]
    finally:
        await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        rows = db.execute("SELECT inbox, count(*) FROM customers GROUP BY inbox").fetchall()
        assert dict(rows) == {"default": 3, "acme": 1}
