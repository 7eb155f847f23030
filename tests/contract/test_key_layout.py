"""The key layout both stores keep: the names records are stored under. Stores written by
earlier releases are read by these names, so none of them may change."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.models import ConversationKey
from bot.preferences import set_preference
from storage import keys
from storage.redis import RedisStorage
from storage.sqlite import SqliteStorage
from tests.support.factories import T0, inbound, relay_plan

REDIS_PARTS = {
    "SEQ": "seq", "SEEN": "seen", "LOCK": "lock", "CUSTOMER": "customer", "CONV": "conv",
    "CONVS": "convs", "CONV_BY_KEY": "convbykey", "CONV_BY_THREAD": "convbythread",
    "MSG": "msg", "MSGS": "msgs", "MSG_BY_CHANNEL_ID": "msgbychan",
    "MSG_BY_SLACK_TS": "msgbyslackts", "MSG_BY_TS": "msgbyts", "JOB": "job",
    "JOB_DEDUPE": "jobdedupe", "QUEUE": "queue", "READY": "ready", "RUNNING": "running",
    "LIVE": "live", "FAILED": "failed", "BUCKET": "bucket", "LEAD": "lead", "LEADS": "leads",
    "LEAD_BY_CONV": "leadbyconv", "POOL": "pool", "POOL_CURSOR": "poolcursor",
    "POOLS": "pools", "SETTINGS": "settings", "DUE": "due", "LEASE": "lease", "LOG": "log",
    "QUEUE_OF_ORDERING_KEY": "o:", "QUEUE_OF_JOB": "j:"}


def test_redis_key_parts_are_pinned() -> None:
    assert {name: getattr(keys, name) for name in REDIS_PARTS} == REDIS_PARTS
    assert keys.RedisKeys().key(keys.CONV, 7) == "bot:conv:7"
    assert keys.RedisKeys("acme").key(keys.CUSTOMER, "telegram:42") == "acme:customer:telegram:42"
    assert keys.RedisKeys("a*b").everything() == r"a\*b:*"


def test_names_inside_both_stores_are_pinned() -> None:
    assert keys.preference("pause") == "pref:pause"
    assert keys.preference("pause", "acme") == "pref:inbox:acme:pause"
    assert keys.HEALTH_PING == "health:ping"
    assert keys.slack_delivery("Ev1", 2) == "slack:Ev1:2"
    assert keys.lifecycle_deadline(7, "missed", "2030-01-01T00:00:00+00:00") == \
        "lifecycle:7:missed:2030-01-01T00:00:00+00:00"
    assert keys.away_reply(7, "p1") == "away:7:p1"
    assert keys.out_of_hours_reply(7, "never") == "closed:7:never"
    assert keys.intake_closed_reply(ConversationKey("telegram", "42"), "2030-01-01") == \
        "intake_closed:telegram:42:2030-01-01"
    assert (keys.SWEEPER_LEASE, keys.SLACK_BUCKET, keys.CHAT_BUCKET) == (
        "lifecycle-sweeper", "slack:", "chat:")


async def write_one_of_each(store: RedisStorage | SqliteStorage) -> None:
    assert await store.ingest(inbound(), now=T0, plan=relay_plan, seen_ttl=60) is not None
    await set_preference(store, "pause", {"id": "p1"}, inbox="acme")
    assert await store.acquire_lease(keys.SWEEPER_LEASE, "me", ttl=60, now=T0.timestamp())
    await store.take_token(keys.CHAT_BUCKET + "chan:conv:1", rate=1, burst=3,
                           now=T0.timestamp())


async def test_sqlite_keeps_its_records_under_these_names(tmp_path: Path) -> None:
    store = await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'layout.sqlite3'}")
    await write_one_of_each(store)
    assert await store.ping()
    await store.close()
    with sqlite3.connect(tmp_path / "layout.sqlite3") as db:
        assert db.execute("SELECT name FROM settings").fetchall() == [("pref:inbox:acme:pause",)]
        assert db.execute("SELECT name FROM leases").fetchall() == [("lifecycle-sweeper",)]
        assert db.execute("SELECT name FROM buckets").fetchall() == [("chat:chan:conv:1",)]
        assert {key for (key,) in db.execute("SELECT key FROM seen")} == {
            inbound().event_key, "health:ping"}


@pytest.fixture
async def redis(redis_server_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server_url, decode_responses=True)
    yield client
    await client.aclose()


async def test_redis_keeps_its_records_under_these_names(redis_server_url: str,
                                                          redis: Redis) -> None:
    store = await RedisStorage.from_url(redis_server_url, prefix="layout")
    try:
        await write_one_of_each(store)
        stored = {key async for key in redis.scan_iter(match="layout:*")}
        assert {"layout:seq:conv", "layout:seq:msg", "layout:conv:1", "layout:convs", "layout:msg:1",
                "layout:msgs:1", "layout:job:1", "layout:settings",
                "layout:lease:lifecycle-sweeper", "layout:bucket:chat:chan:conv:1",
                f"layout:customer:{inbound().key}", f"layout:convbykey:{inbound().key}",
                f"layout:seen:{inbound().event_key}"} <= stored
        assert await redis.hkeys("layout:settings") == ["pref:inbox:acme:pause"]
    finally:
        await store.drop_everything()
        await store.close()
