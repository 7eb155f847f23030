"""Versioned SQLite schema. Each entry migrates from the previous version; never edit one
that has shipped, append a new one."""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the initial schema
    """
    CREATE TABLE customers (
        channel TEXT NOT NULL, chat_id TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (channel, chat_id));
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY, channel TEXT NOT NULL, chat_id TEXT NOT NULL,
        status TEXT NOT NULL, slack_channel TEXT NOT NULL, thread_ts TEXT NOT NULL,
        doc TEXT NOT NULL);
    CREATE INDEX conversations_by_key ON conversations (channel, chat_id, id);
    CREATE INDEX conversations_by_thread ON conversations (slack_channel, thread_ts);
    CREATE INDEX conversations_by_status ON conversations (status, id);
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY, conversation_id INTEGER NOT NULL,
        channel_message_id TEXT NOT NULL, slack_ts TEXT NOT NULL, doc TEXT NOT NULL);
    CREATE INDEX messages_by_conversation ON messages (conversation_id, id);
    CREATE INDEX messages_by_channel_id ON messages (conversation_id, channel_message_id);
    CREATE INDEX messages_by_slack_ts ON messages (slack_ts) WHERE slack_ts != '';
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL,
        dedupe_key TEXT NOT NULL UNIQUE, ordering_key TEXT NOT NULL, state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, due_at REAL NOT NULL, created_at REAL NOT NULL,
        lease_until REAL NOT NULL DEFAULT 0, lease_token TEXT NOT NULL DEFAULT '',
        last_error TEXT NOT NULL DEFAULT '');
    CREATE INDEX outbox_due ON outbox (state, due_at);
    CREATE INDEX outbox_order ON outbox (ordering_key, id);
    CREATE TABLE seen (key TEXT PRIMARY KEY, expires_at REAL NOT NULL);
    CREATE TABLE buckets (name TEXT PRIMARY KEY, tokens REAL NOT NULL, ts REAL NOT NULL);
    CREATE TABLE leads (
        id INTEGER PRIMARY KEY, conversation_id INTEGER NOT NULL UNIQUE, doc TEXT NOT NULL);
    CREATE TABLE pools (name TEXT PRIMARY KEY, members TEXT NOT NULL,
                        cursor INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: lifecycle timers, leases, the audit log
    """
    ALTER TABLE conversations ADD COLUMN due_at REAL;
    CREATE INDEX conversations_due ON conversations (due_at) WHERE due_at IS NOT NULL;
    CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, until REAL NOT NULL);
    CREATE TABLE logs (id INTEGER PRIMARY KEY, name TEXT NOT NULL, doc TEXT NOT NULL);
    CREATE INDEX logs_by_name ON logs (name, id);
    """,
    # 3: outbox ids are never reused (a job id tags Slack posts, so a recovered job can
    # find its own post; without AUTOINCREMENT SQLite hands a deleted job's id out again)
    """
    CREATE TABLE outbox_v3 (
        id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, payload TEXT NOT NULL,
        dedupe_key TEXT NOT NULL UNIQUE, ordering_key TEXT NOT NULL, state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, due_at REAL NOT NULL, created_at REAL NOT NULL,
        lease_until REAL NOT NULL DEFAULT 0, lease_token TEXT NOT NULL DEFAULT '',
        last_error TEXT NOT NULL DEFAULT '');
    INSERT INTO outbox_v3 SELECT id, kind, payload, dedupe_key, ordering_key, state, attempts,
        due_at, created_at, lease_until, lease_token, last_error FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_v3 RENAME TO outbox;
    CREATE INDEX outbox_due ON outbox (state, due_at);
    CREATE INDEX outbox_order ON outbox (ordering_key, id);
    """,
    # 4: how often a job was claimed to run (a recovered job checks Slack before posting)
    """
    ALTER TABLE outbox ADD COLUMN runs INTEGER NOT NULL DEFAULT 0;
    """,
    # 5: a message is found by its Slack channel and ts (a ts is unique only within a
    # channel); rows stored before get their conversation's channel, the only one they
    # could have been posted in
    """
    ALTER TABLE messages ADD COLUMN slack_channel TEXT NOT NULL DEFAULT '';
    UPDATE messages SET slack_channel = coalesce((SELECT c.slack_channel FROM conversations c
        WHERE c.id = messages.conversation_id), '') WHERE slack_ts != '';
    DROP INDEX messages_by_slack_ts;
    CREATE INDEX messages_by_slack_ts ON messages (slack_channel, slack_ts) WHERE slack_ts != '';
    """,
    # 6: a customer is a chat of one inbox (the same chat id in two inboxes is two
    # customers): the inbox joins the customers' primary key, so the table is rebuilt;
    # rows stored before are the default inbox's
    """
    CREATE TABLE customers_v6 (
        inbox TEXT NOT NULL DEFAULT 'default', channel TEXT NOT NULL, chat_id TEXT NOT NULL,
        doc TEXT NOT NULL, PRIMARY KEY (inbox, channel, chat_id));
    INSERT INTO customers_v6 (inbox, channel, chat_id, doc)
        SELECT 'default', channel, chat_id, doc FROM customers;
    DROP TABLE customers;
    ALTER TABLE customers_v6 RENAME TO customers;
    ALTER TABLE conversations ADD COLUMN inbox TEXT NOT NULL DEFAULT 'default';
    DROP INDEX conversations_by_key;
    CREATE INDEX conversations_by_key ON conversations (inbox, channel, chat_id, id);
    """,
    # 7: a keyed cache with expiry (the billing context a thread shows)
    """
    CREATE TABLE cache (key TEXT PRIMARY KEY, doc TEXT NOT NULL, expires_at REAL NOT NULL);
    """,
]
