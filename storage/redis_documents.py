"""Documents and their indexes on Redis (a mixin of RedisStorage): reading them, writing
them, and the writes that race — a customer's message (ingest) and a thread being
recorded both rewrite the conversation, so both are compare-and-set: read in one trip,
write in one script that checks nothing changed, and read again if something did."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.commands.core import AsyncScript

from bot.models import Conversation, ConversationKey, Customer, InboundMessage, Ingested
from bot.models import Message, Status
from storage import codec
from storage import redis_doc_scripts as lua
from storage.base import JobPlan, Reuse
from storage.ingest_rules import inbound_message, merged_customer, successor, touched
from storage.redis_outbox import Conflict, RedisOutboxMixin
from storage.keys import (
    CONV,
    CONV_BY_KEY,
    CONV_BY_THREAD,
    CONVS,
    CUSTOMER,
    DUE,
    MSG,
    MSG_BY_CHANNEL_ID,
    MSG_BY_SLACK_TS,
    MSG_BY_TS,
    MSGS,
    SEEN,
    SEQ,
)
from storage.redis_writes import Writes

T = TypeVar("T")
Doc = dict[str, Any]
# compare-and-set tries before giving up (only writes to one customer's documents race)
CAS_ATTEMPTS = 100


def decoded(raw: str | bytes | None, from_doc: Callable[[Doc], T]) -> T | None:
    return None if raw is None else from_doc(json.loads(raw))


def ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


@dataclass(frozen=True)
class _IngestRead:
    current: Conversation | None
    customer: Customer | None
    message_id: int
    expect: list[tuple[str, str]]  # what the write checks is unchanged


class RedisDocumentsMixin(RedisOutboxMixin):
    _redis: Redis
    _lua: dict[str, AsyncScript]

    # -- reading documents and following indexes ---------------------------------------------
    async def _load(self, from_doc: Callable[[Any], T], *parts: str | int) -> T | None:
        return decoded(await self._redis.get(self._k(*parts)), from_doc)

    async def _follow(self, index: str, from_doc: Callable[[Doc], T], kind: str) -> T | None:
        return decoded(await self._lua[lua.FOLLOW](keys=[index], args=[self._k(kind, "")]),
                        from_doc)

    async def _load_listed(self, ids_key: str, from_doc: Callable[[Doc], T], kind: str) -> list[T]:
        ids = cast(list[str], await self._redis.lrange(ids_key, 0, -1))
        if not ids:
            return []
        raws = await self._redis.mget([self._k(kind, ident) for ident in ids])
        return [from_doc(json.loads(raw)) for raw in raws if raw is not None]

    def _transaction(self) -> Pipeline:
        return self._redis.pipeline(transaction=True)

    # -- documents and their indexes ---------------------------------------------------------
    def _put_conversation(self, pipe: Writes, conv: Conversation, *, new: bool) -> None:
        pipe.set(self._k(CONV, conv.id), codec.dumps(codec.conversation_doc(conv)))
        if conv.thread_ts:
            pipe.set(self._k(CONV_BY_THREAD, conv.slack_channel, conv.thread_ts), conv.id)
        if new:
            pipe.set(self._k(CONV_BY_KEY, str(conv.key)), conv.id)
            pipe.rpush(self._k(CONVS), conv.id)
        if conv.due_at is not None:
            pipe.zadd(self._k(DUE), {str(conv.id): conv.due_at.timestamp()})
        else:
            pipe.zrem(self._k(DUE), str(conv.id))

    def _put_message(self, pipe: Writes, msg: Message, *, new: bool) -> None:
        pipe.set(self._k(MSG, msg.id), codec.dumps(codec.message_doc(msg)))
        if new:
            pipe.rpush(self._k(MSGS, msg.conversation_id), msg.id)
        if msg.slack_ts and msg.slack_channel:
            pipe.set(self._k(MSG_BY_SLACK_TS, msg.slack_channel, msg.slack_ts), msg.id)
        elif msg.slack_ts:
            pipe.set(self._k(MSG_BY_TS, msg.slack_ts), msg.id)
        if msg.channel_message_id:
            index = self._k(MSG_BY_CHANNEL_ID, msg.conversation_id, msg.channel_message_id)
            pipe.set(index, msg.id)

    async def _next_id(self, kind: str) -> int:
        return int(await self._redis.incr(self._k(SEQ, kind)))

    # -- compare-and-set -----------------------------------------------------------------------
    async def _compare_and_set(self, attempt: Callable[[], Awaitable[T]], what: str) -> T:
        """Run ``attempt`` (a read, then a ``_commit`` expecting what it read) until no
        other write came between the two."""
        for _ in range(CAS_ATTEMPTS):
            try:
                return await attempt()
            except Conflict:
                continue
        raise RuntimeError(f"{what} lost {CAS_ATTEMPTS} races in a row")

    async def set_thread(self, conversation_id: int, slack_channel: str,
                         thread_ts: str) -> Conversation:
        key = self._k(CONV, conversation_id)

        async def attempt() -> Conversation:
            raw = cast(str | None, await self._redis.get(key))
            if raw is None:
                raise LookupError(f"conversation {conversation_id} does not exist")
            conv = codec.conversation_from(json.loads(raw))
            conv.slack_channel, conv.thread_ts = slack_channel, thread_ts
            writes = Writes()
            self._put_conversation(writes, conv, new=False)
            await self._commit(writes, (), 0.0, expect=[(key, raw)])
            return conv

        return await self._compare_and_set(attempt, "set_thread")

    async def ingest(
        self, inbound: InboundMessage, *, now: datetime, plan: JobPlan, seen_ttl: float,
        reuse: Reuse | None = None,
    ) -> Ingested | None:
        async def attempt() -> Ingested | None:
            read = await self._ingest_read(inbound)
            if read is None:
                return None  # seen before
            return await self._ingest_write(inbound, now, plan, seen_ttl, reuse, read)

        return await self._compare_and_set(attempt, "ingest")

    async def _ingest_read(self, inbound: InboundMessage) -> _IngestRead | None:
        keys = [self._k(SEEN, inbound.event_key), self._k(CONV_BY_KEY, str(inbound.key)),
                self._k(CUSTOMER, str(inbound.key)), self._k(SEQ, MSG)]
        reply = await self._lua[lua.INGEST_READ](keys=keys, args=[self._k(CONV, "")])
        if int(reply[0]):
            return None
        _, conv_id, conv_raw, customer_raw, message_id = reply
        expect = [(keys[0], ""), (keys[1], conv_id), (keys[2], customer_raw)]
        if conv_id:
            expect.append((self._k(CONV, conv_id), conv_raw))
        return _IngestRead(
            current=codec.conversation_from(json.loads(conv_raw)) if conv_raw else None,
            customer=codec.customer_from(json.loads(customer_raw)) if customer_raw else None,
            message_id=int(message_id), expect=expect)

    async def _ingest_write(
        self, inbound: InboundMessage, now: datetime, plan: JobPlan, seen_ttl: float,
        reuse: Reuse | None, read: _IngestRead,
    ) -> Ingested:
        conv, opened = await self._conversation_for(read.current, inbound.key, now, reuse)
        touched(conv, now)
        msg = inbound_message(inbound, conversation_id=conv.id, now=now,
                              message_id=read.message_id)
        jobs = plan(conv, msg, opened)
        writes = Writes()
        writes.set(self._k(SEEN, inbound.event_key), 1, px=ms(seen_ttl))
        customer = merged_customer(read.customer, inbound.customer)
        writes.set(self._k(CUSTOMER, str(inbound.key)), codec.dumps(codec.customer_doc(customer)))
        self._put_conversation(writes, conv, new=opened)
        self._put_message(writes, msg, new=True)
        job_ids = await self._commit(writes, jobs, now.timestamp(), expect=read.expect)
        return Ingested(conversation=conv, message=msg, opened=opened, job_ids=job_ids)

    async def _conversation_for(
        self, current: Conversation | None, key: ConversationKey, now: datetime,
        reuse: Reuse | None,
    ) -> tuple[Conversation, bool]:
        if current is not None and (reuse is None or reuse(current)):
            return current, False
        conv_id = await self._next_id(CONV)
        fresh = Conversation(id=conv_id, key=key, status=Status.NEW, created_at=now)
        return successor(current, fresh), True
