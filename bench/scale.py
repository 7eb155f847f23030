"""Memory and scale: a store holding many conversations, lookups on it, the bot's RSS.

Filling 100,000 conversations through ``storage.ingest`` takes minutes (every ingest is a
dozen store round trips), so the first ``INGESTED`` go through ``ingest`` (and time it) and
the rest are written in bulk with the backend's own row and key builders (``codec``,
``_conv_row``, ``_put_conversation``…): the same documents and indexes, in big batches.
:func:`check_lookups` then reads a sample back through the public API, so a bulk writer
that drifted from the backend fails loudly instead of measuring a wrong store.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from bench.stats import latency_summary
from bot.models import Conversation, ConversationKey, Customer, InboundMessage, Message, Status
from storage import codec
from storage.redis_writes import Writes
from storage.base import BaseStorage
from storage.ingest_rules import inbound_message
from tests.scenarios.harness import CHANNEL

INGESTED = 1000
SEEN_TTL = 3600.0
FIRST_CHAT = 50_000_000


def thread_ts(i: int) -> str:
    return f"1600000000.{i:06d}" if i < 1_000_000 else f"{1_600_000_000 + i}.000001"


def message_ts(i: int) -> str:
    """The Slack ts of conversation ``i``'s first message, once relayed."""
    return f"1600000001.{i:06d}" if i < 1_000_000 else f"{1_600_000_000 + i}.000002"


def chat_key(i: int) -> ConversationKey:
    return ConversationKey("telegram", str(FIRST_CHAT + i))


def inbound(i: int, now: datetime) -> InboundMessage:
    key = chat_key(i)
    return InboundMessage(customer=Customer(key=key, name=f"Customer {i}", language="en"),
                          message_id="1", event_key=f"telegram:{key.chat_id}:1", sent_at=now,
                          text=f"hello from customer {i}")


async def ingest_one(store: BaseStorage, i: int, now: datetime) -> None:
    """A conversation as the bot leaves it once its first message is relayed."""
    got = await store.ingest(inbound(i, now), now=now, plan=lambda c, m, o: [],
                             seen_ttl=SEEN_TTL)
    assert got is not None
    conv = got.conversation
    conv.slack_channel, conv.thread_ts = CHANNEL, thread_ts(i)
    await store.save_conversation(conv)
    got.message.slack_ts, got.message.slack_channel = message_ts(i), CHANNEL
    await store.save_message(got.message)


def stored_pair(i: int, conv_id: int, msg_id: int,
                now: datetime) -> tuple[Customer, Conversation, Message]:
    item = inbound(i, now)
    conv = Conversation(id=conv_id, key=item.key, status=Status.NEW, created_at=now,
                        slack_channel=CHANNEL, thread_ts=thread_ts(i), last_customer_at=now)
    msg = inbound_message(item, conversation_id=conv_id, now=now, message_id=msg_id)
    msg.slack_ts, msg.slack_channel = message_ts(i), CHANNEL
    return item.customer, conv, msg


def chunks(start: int, stop: int, size: int) -> Iterator[range]:
    for first in range(start, stop, size):
        yield range(first, min(first + size, stop))


async def bulk_sqlite(store: Any, start: int, stop: int, now: datetime) -> None:
    for part in chunks(start, stop, 10_000):
        await store.db.tx(lambda conn, part=part: _bulk_sqlite_part(conn, part, now))


def _bulk_sqlite_part(conn: Any, part: range, now: datetime) -> None:
    from storage.sqlite import _CONV_COLUMNS, _conv_row

    expires = time.time() + SEEN_TTL
    row = conn.execute("SELECT coalesce(max(id), 0) FROM conversations").fetchone()
    mrow = conn.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()
    items = [stored_pair(i, row[0] + n + 1, mrow[0] + n + 1, now) for n, i in enumerate(part)]
    conn.executemany(
        "INSERT INTO customers (channel, chat_id, doc) VALUES (?, ?, ?)",
        [(c.key.channel, c.key.chat_id, codec.dumps(codec.customer_doc(c)))
         for c, _, _ in items])
    rows = [_conv_row(v) for _, v, _ in items]
    marks = ", ".join("?" * len(rows[0]))
    conn.executemany(f"INSERT INTO conversations {_CONV_COLUMNS} VALUES ({marks})", rows)
    conn.executemany(
        "INSERT INTO messages (id, conversation_id, channel_message_id, slack_ts,"
        " slack_channel, doc) VALUES (?, ?, ?, ?, ?, ?)",
        [(m.id, m.conversation_id, m.channel_message_id, m.slack_ts, m.slack_channel,
          codec.dumps(codec.message_doc(m))) for _, _, m in items])
    conn.executemany("INSERT INTO seen (key, expires_at) VALUES (?, ?)",
                     [(inbound(i, now).event_key, expires) for i in part])


async def bulk_redis(store: Any, start: int, stop: int, now: datetime) -> None:
    from storage.keys import CONV, CUSTOMER, MSG, SEEN, SEQ

    redis = store._redis
    for part in chunks(start, stop, 5_000):
        last_conv = await redis.incrby(store._k(SEQ, CONV), len(part))
        last_msg = await redis.incrby(store._k(SEQ, MSG), len(part))
        pipe = Writes()
        for n, i in enumerate(part):
            customer, conv, msg = stored_pair(i, last_conv - len(part) + n + 1,
                                              last_msg - len(part) + n + 1, now)
            pipe.set(store._k(SEEN, inbound(i, now).event_key), 1, px=int(SEEN_TTL * 1000))
            pipe.set(store._k(CUSTOMER, str(customer.key)),
                     codec.dumps(codec.customer_doc(customer)))
            store._put_conversation(pipe, conv, new=True)
            store._put_message(pipe, msg, new=True)
        await store._commit(pipe, (), 0.0)


async def fill(store: BaseStorage, count: int, kind: str) -> dict[str, Any]:
    """``count`` conversations with a thread each; :return: how long ingest took per item."""
    now = datetime.now(UTC)
    ingested = min(INGESTED, count)
    start = time.monotonic()
    for i in range(ingested):
        await ingest_one(store, i, now)
    ingest_s = time.monotonic() - start
    bulk = bulk_sqlite if kind == "sqlite" else bulk_redis
    await bulk(store, ingested, count, now)
    return {"conversations": count, "through_ingest": ingested,
            "ingest_per_s": ingested / ingest_s, "fill_seconds": time.monotonic() - start}


async def check_lookups(store: BaseStorage, count: int, samples: int,
                        seed: int = 7) -> dict[str, Any]:
    """Time ``find_by_thread``, ``current_conversation`` and ``find_message_by_slack_ts``
    (every operator reply asks it) on random stored conversations, checking every answer."""
    rng = random.Random(seed)
    picks = [rng.randrange(count) for _ in range(samples)]
    by_thread, current, by_ts = [], [], []
    for i in picks:
        start = time.perf_counter()
        conv = await store.find_by_thread(CHANNEL, thread_ts(i))
        by_thread.append(time.perf_counter() - start)
        start = time.perf_counter()
        same = await store.current_conversation(chat_key(i))
        current.append(time.perf_counter() - start)
        start = time.perf_counter()
        msg = await store.find_message_by_slack_ts(CHANNEL, message_ts(i))
        by_ts.append(time.perf_counter() - start)
        assert conv is not None and same is not None and conv.id == same.id, \
            f"conversation {i} does not read back: the bulk writer drifted from the backend"
        assert msg is not None and msg.conversation_id == conv.id, \
            f"the message of conversation {i} does not read back by its Slack ts"
    return {"find_by_thread": _us(by_thread), "current_conversation": _us(current),
            "find_message_by_slack_ts": _us(by_ts)}


def _us(seconds: list[float]) -> dict[str, float]:
    ms = latency_summary(seconds)
    return {"n": ms["n"], "p50_us": ms["p50_ms"] * 1000, "p99_us": ms["p99_ms"] * 1000}


async def relay_rss(bot: Any, traffic: Any, *, warm: int, measured: int, step: int,
                    conversations: int = 100) -> dict[str, Any]:
    """RSS (KiB) of the bot process before, after ``warm`` relayed messages and every
    ``step`` messages after that; growth is the least-squares slope per 10,000 messages."""
    from bench.load import arrived, closed_loop
    from bench.stats import growth_per

    def chat(seq: int) -> int:
        return 70_000_000 + seq % conversations

    async def relay(count: int) -> None:
        seqs = [traffic.next_seq() for _ in range(count)]
        await closed_loop(seqs, lambda s: traffic.customer_says(chat(s), s), 64)
        missing = await arrived(traffic.slack.arrivals, seqs, timeout=600)
        assert missing == 0, f"{missing} messages were not relayed"
        traffic.slack.reset_log()

    start = bot.rss_kib
    await relay(warm)
    samples = {0: bot.rss_kib}
    for done in range(step, measured + 1, step):
        await relay(step)
        samples[done] = bot.rss_kib
    return {"rss_start_kib": start, "rss_warm_kib": samples[0], "warm_messages": warm,
            "samples_kib": samples, "growth_kib_per_10k": growth_per(samples, 10_000)}
