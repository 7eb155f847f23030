"""RedisStorage: the scale-out store. JSON documents; Lua scripts for every read-modify-write."""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from redis.asyncio import Redis
from redis.exceptions import AuthenticationError, NoPermissionError, RedisError, ResponseError

from bot.errors import StorageError
from bot.models import (
    Conversation,
    ConversationKey,
    Customer,
    Job,
    Message,
    NewJob,
    Status,
)
from storage import codec
from storage import redis_doc_scripts as lua
from storage import redis_scripts as outbox_lua
from storage.base import BaseStorage
from storage.redis_client import COMMAND_TIMEOUT, DeadlineRedis
from storage.redis_desk import RedisDeskMixin
from storage.redis_documents import decoded, ms
from storage.redis_extras import RedisExtrasMixin
from storage.keys import (
    CONV,
    CONV_BY_KEY,
    CONV_BY_THREAD,
    CONVS,
    CUSTOMER,
    DEFAULT_PREFIX,
    MSG,
    MSG_BY_CHANNEL_ID,
    MSG_BY_SLACK_TS,
    MSG_BY_TS,
    MSGS,
    SEEN,
    RedisKeys,
)
from storage.redis_writes import Writes

# The scripts of both modules, registered once per store: each then runs by its SHA.
SCRIPTS = (outbox_lua.COMMIT, outbox_lua.CLAIM, outbox_lua.COMPLETE, outbox_lua.RETRY,
           outbox_lua.FAIL, outbox_lua.TAKE_TOKEN, lua.NEXT_IN_POOL, lua.CREATE_LEAD,
           lua.FOLLOW, lua.MESSAGE_WITH_CONVERSATION, lua.INGEST_READ,
           lua.THREAD_FOR_NEW_MESSAGE, lua.MESSAGE_BY_SLACK_TS)

T = TypeVar("T")
# connections per process: far above what the admitted webhooks (bot/web.py, 128) and the
# outbox's 32 jobs hold at once
MAX_CONNECTIONS = 512


# Indexes are never cleaned up when a document moves (a conversation to another thread, a
# message's ts edited away): what an index leads to is checked to still match it.
def _in_thread(conv: Conversation | None, slack_channel: str,
               thread_ts: str) -> Conversation | None:
    if conv is None or (conv.slack_channel, conv.thread_ts) != (slack_channel, thread_ts):
        return None
    return conv


def _posted_at(msg: Message | None, conv: Conversation | None, slack_channel: str,
               slack_ts: str) -> Message | None:
    """``msg`` when it is the message posted in ``slack_channel`` at ``slack_ts``;
    ``conv`` is its conversation, whose channel a message stored without one has."""
    if msg is None or msg.slack_ts != slack_ts:
        return None
    channel = msg.slack_channel or (conv.slack_channel if conv is not None else "")
    return msg if channel == slack_channel else None


async def _check_access(client: Redis) -> None:
    """Refuse at start what no retry mends: a missing or refused password, a user without
    the rights the store needs, a database Redis does not have, a TLS certificate that
    cannot be verified. An unreachable Redis is only logged: the process serves,
    ``/healthz`` says 503, until Redis answers."""
    account = client.connection_pool.connection_kwargs
    try:
        await client.ping()
    except AuthenticationError:
        raise StorageError(_refusal(has_password=bool(account.get("password")))) from None
    except NoPermissionError as exc:
        raise StorageError(f"the Redis user may not run what the bot needs "
                           f"({exc})") from None
    except ResponseError as exc:  # SELECT of a database past the server's `databases`
        raise StorageError(f"Redis refused the connection to database "
                           f"{account.get('db', 0)}: {exc}") from None
    except (RedisError, OSError) as exc:
        if (untrusted := _untrusted_certificate(exc)) is not None:
            raise StorageError(f"Redis' TLS certificate cannot be trusted "
                               f"({untrusted.verify_message}); name the CA that signed "
                               "it with ?ssl_ca_certs=/path/to/ca.pem") from None
        logging.getLogger("bot.storage").warning(
            "Redis does not answer yet (%s); /healthz answers 503 until it does", exc)


def _untrusted_certificate(exc: BaseException | None) -> ssl.SSLCertVerificationError | None:
    while exc is not None and not isinstance(exc, ssl.SSLCertVerificationError):
        exc = exc.__context__  # redis-py raises its own error in the handler of ssl's
    return exc


def _refusal(*, has_password: bool) -> str:
    if has_password:
        return "Redis refused the user name or password in the URL"
    return ("Redis asks for a password and the URL has none "
            "(redis://:PASSWORD@host:port/db, or redis://USER:PASSWORD@… for an ACL user)")


class RedisStorage(RedisDeskMixin, RedisExtrasMixin, BaseStorage):
    def __init__(self, *, redis: Redis, prefix: str = DEFAULT_PREFIX) -> None:
        super().__init__()
        self._redis = redis
        self._keys = RedisKeys(prefix)
        self._lua = {src: redis.register_script(src) for src in SCRIPTS}

    @classmethod
    async def from_url(cls, url: str, *, prefix: str = DEFAULT_PREFIX,
                       timeout: float = COMMAND_TIMEOUT) -> RedisStorage:
        """:param timeout: seconds any one command may take, retries included"""
        # A plain pool with a high cap, not a BlockingConnectionPool: its condition variable
        # and timeout cost about as much CPU as a command (``make bench``: 239 → 378 msg/s).
        # Were the cap reached, a command would raise ConnectionError: the webhook answers
        # 500 (Telegram sends the update again) and an outbox job is retried.
        client = DeadlineRedis.connect(url, timeout=timeout, max_connections=MAX_CONNECTIONS)
        try:
            await _check_access(client)
        except StorageError:
            await client.aclose()
            raise
        return cls(redis=client, prefix=prefix)

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        await self._redis.aclose()

    # -- dedupe and ingest ---------------------------------------------------------------
    async def mark_seen(self, event_key: str, ttl: float) -> bool:
        return bool(await self._redis.set(self._k(SEEN, event_key), 1, nx=True, px=ms(ttl)))

    async def mark_all_seen(self, event_keys: Sequence[str], ttl: float) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for key in event_keys:
            pipe.set(self._k(SEEN, key), 1, nx=True, px=ms(ttl))
        if event_keys:
            await pipe.execute()

    async def add_message(
        self, message: Message, jobs: Callable[[Message], Sequence[NewJob]],
        *, conversation: Conversation | None = None, seen: Sequence[str] = (),
        seen_ttl: float = 0.0,
    ) -> tuple[Message, tuple[int, ...]]:
        msg = replace(message, id=await self._next_id(MSG))
        new_jobs = jobs(msg)
        pipe = Writes()
        self._put_message(pipe, msg, new=True)
        if conversation is not None:
            self._put_conversation(pipe, conversation, new=False)
        for key in seen:
            pipe.set(self._k(SEEN, key), 1, px=ms(seen_ttl))
        return msg, await self._commit(pipe, new_jobs, msg.created_at.timestamp())

    # -- customers and conversations -----------------------------------------------------
    async def get_customer(self, key: ConversationKey) -> Customer | None:
        return await self._load(codec.customer_from, CUSTOMER, str(key))

    async def get_conversation(self, conversation_id: int) -> Conversation | None:
        return await self._load(codec.conversation_from, CONV, conversation_id)

    async def current_conversation(self, key: ConversationKey) -> Conversation | None:
        return await self._follow(self._k(CONV_BY_KEY, str(key)), codec.conversation_from, CONV)

    async def find_by_thread(self, slack_channel: str, thread_ts: str) -> Conversation | None:
        index = self._k(CONV_BY_THREAD, slack_channel, thread_ts)
        return _in_thread(await self._follow(index, codec.conversation_from, CONV),
                          slack_channel, thread_ts)

    async def save_conversation(self, conversation: Conversation) -> None:
        writes = Writes()
        self._put_conversation(writes, conversation, new=False)
        await self._commit(writes, (), 0.0)

    async def list_conversations(self, status: Status | None = None, *,
                                 inbox: str | None = None) -> list[Conversation]:
        convs = await self._load_listed(self._k(CONVS), codec.conversation_from, CONV)
        return [conv for conv in convs if (status is None or conv.status is status)
                and (inbox is None or conv.key.inbox == inbox)]

    # -- messages ------------------------------------------------------------------------
    async def get_message(self, message_id: int) -> Message | None:
        return await self._load(codec.message_from, MSG, message_id)

    async def message_with_conversation(
        self, message_id: int
    ) -> tuple[Message, Conversation] | None:
        found = await self._message_docs(message_id, with_customer=False)
        return None if found is None else found[:2]

    async def message_for_reply(
        self, message_id: int
    ) -> tuple[Message, Conversation, Customer | None] | None:
        return await self._message_docs(message_id, with_customer=True)

    async def _message_docs(
        self, message_id: int, *, with_customer: bool
    ) -> tuple[Message, Conversation, Customer | None] | None:
        prefixes = [self._k(CONV, ""), *([self._k(CUSTOMER, "")] if with_customer else [])]
        msg_raw, conv_raw, *customer_raw = await self._lua[lua.MESSAGE_WITH_CONVERSATION](
            keys=[self._k(MSG, message_id)], args=prefixes)
        if msg_raw is None:
            return None
        msg = codec.message_from(json.loads(msg_raw))
        if conv_raw is None:
            raise LookupError(f"conversation {msg.conversation_id} does not exist")
        customer = customer_raw[0] if customer_raw else None
        return (msg, codec.conversation_from(json.loads(conv_raw)),
                codec.customer_from(json.loads(customer)) if customer else None)

    async def find_message_by_channel_id(
        self, conversation_id: int, channel_message_id: str
    ) -> Message | None:
        index = self._k(MSG_BY_CHANNEL_ID, conversation_id, channel_message_id)
        msg = await self._follow(index, codec.message_from, MSG)
        return msg if msg is not None and msg.channel_message_id == channel_message_id else None

    def _message_indexes(self, slack_channel: str, slack_ts: str) -> list[str]:
        return [self._k(MSG_BY_SLACK_TS, slack_channel, slack_ts), self._k(MSG_BY_TS, slack_ts)]

    async def find_message_by_slack_ts(self, slack_channel: str,
                                       slack_ts: str) -> Message | None:
        raw_msg, raw_conv = await self._lua[lua.MESSAGE_BY_SLACK_TS](
            keys=self._message_indexes(slack_channel, slack_ts),
            args=[self._k(MSG, ""), self._k(CONV, "")])
        return _posted_at(decoded(raw_msg, codec.message_from),
                          decoded(raw_conv, codec.conversation_from), slack_channel, slack_ts)

    async def thread_for_new_message(self, slack_channel: str, thread_ts: str,
                                     slack_ts: str) -> Conversation | None:
        keys = [self._k(CONV_BY_THREAD, slack_channel, thread_ts),
                *self._message_indexes(slack_channel, slack_ts)]
        raw_conv, raw_msg = await self._lua[lua.THREAD_FOR_NEW_MESSAGE](
            keys=keys, args=[self._k(CONV, ""), self._k(MSG, "")])
        conv = _in_thread(decoded(raw_conv, codec.conversation_from), slack_channel, thread_ts)
        if conv is None:
            return None
        msg = decoded(raw_msg, codec.message_from)
        # a message of another conversation is not in this thread, so not this one
        own = conv if msg is not None and msg.conversation_id == conv.id else None
        return None if _posted_at(msg, own, slack_channel, slack_ts) else conv

    async def save_message(self, message: Message) -> None:
        writes = Writes()
        self._put_message(writes, message, new=False)
        await self._commit(writes, (), 0.0)

    async def complete_job(self, job: Job, *, save: Sequence[Message] = (),
                           enqueue: Sequence[NewJob] = (), now: float = 0.0) -> bool:
        writes = Writes()
        for message in save:
            self._put_message(writes, message, new=False)
        return await self._complete(job, writes, enqueue, now)

    async def list_messages(self, conversation_id: int) -> list[Message]:
        return await self._load_listed(self._k(MSGS, conversation_id), codec.message_from, MSG)
