"""The abstract store. Backends implement the primitives; derived helpers live here once."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.models import (
    Conversation,
    ConversationKey,
    Customer,
    InboundMessage,
    Ingested,
    Job,
    Lead,
    Limit,
    Message,
    NewJob,
    OutboxStats,
    Status,
)
from storage import codec
from storage.settings_cache import SettingsCache

JobPlan = Callable[[Conversation, Message, bool], Sequence[NewJob]]
"""Given the stored conversation, message and whether the conversation was just opened,
return the outbox jobs that relay the message. Called inside the ingest unit."""

Reuse = Callable[[Conversation], bool]
"""Whether a customer's current conversation takes their new message (True) or a new
conversation is opened for it (False), e.g. long after it was closed."""


class BaseStorage(ABC):
    """Base class for the bot's stores (SQLite embedded, Redis scale-out)."""

    def __init__(self) -> None:
        self._settings = SettingsCache()

    # -- lifecycle -----------------------------------------------------------------
    @abstractmethod
    async def ping(self) -> bool:
        """:return: True when the store answers
        :raise StorageError: when it knows why it cannot work (``/healthz`` shows the message)
        """

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""

    # -- dedupe --------------------------------------------------------------------
    @abstractmethod
    async def mark_seen(self, event_key: str, ttl: float) -> bool:
        """
        :param event_key: e.g. ``slack:Ev123`` or ``telegram:update:42``
        :param ttl: seconds to remember the key
        :return: True the first time the key is seen, False on redelivery
        """

    async def mark_all_seen(self, event_keys: Sequence[str], ttl: float) -> None:
        """``mark_seen`` for several keys at once (a backend may do it in one trip)."""
        for key in event_keys:
            await self.mark_seen(key, ttl)

    # -- ingest --------------------------------------------------------------------
    @abstractmethod
    async def ingest(
        self, inbound: InboundMessage, *, now: datetime, plan: JobPlan, seen_ttl: float,
        reuse: Reuse | None = None,
    ) -> Ingested | None:
        """Store an inbound message as one unit: the customer (upserted), the
        conversation (opened when the customer has none, or when ``reuse`` refuses the
        current one; see :func:`successor`), the message, the outbox jobs from ``plan``
        and the event key. Concurrent first messages of one customer open exactly one
        conversation. The conversation's ``due_at`` becomes now (or stays, if earlier) so
        the lifecycle sweeper looks at it again after every customer message.

        :return: what was stored, or ``None`` when ``inbound.event_key`` was seen before
        """

    @abstractmethod
    async def add_message(
        self, message: Message, jobs: Callable[[Message], Sequence[NewJob]],
        *, conversation: Conversation | None = None, seen: Sequence[str] = (),
        seen_ttl: float = 0.0,
    ) -> tuple[Message, tuple[int, ...]]:
        """Store a new message (its ``id`` is assigned) and the jobs that deliver it, as one
        unit; with ``conversation``, also save it (its timestamps moved) in the same unit,
        and mark the event keys ``seen`` for ``seen_ttl`` seconds (``mark_all_seen``)."""

    # -- customers and conversations -------------------------------------------------
    @abstractmethod
    async def get_customer(self, key: ConversationKey) -> Customer | None: ...

    @abstractmethod
    async def get_conversation(self, conversation_id: int) -> Conversation | None: ...

    @abstractmethod
    async def current_conversation(self, key: ConversationKey) -> Conversation | None:
        """:return: the customer's latest conversation, whatever its status"""

    @abstractmethod
    async def find_by_thread(self, slack_channel: str, thread_ts: str) -> Conversation | None: ...

    @abstractmethod
    async def save_conversation(self, conversation: Conversation) -> None:
        """Persist every field of an existing conversation (thread mapping included)."""

    @abstractmethod
    async def set_thread(self, conversation_id: int, slack_channel: str,
                         thread_ts: str) -> Conversation:
        """Record a conversation's Slack thread, changing nothing else, atomically with
        respect to ingest (which rewrites the conversation): a thread opened while the
        customer's next message is being stored is never lost. :return: the conversation"""

    @abstractmethod
    async def list_conversations(self, status: Status | None = None, *,
                                 inbox: str | None = None) -> list[Conversation]:
        """:return: the conversations (of ``status``, of ``inbox``; None: every one), oldest
        first"""

    @abstractmethod
    async def list_due(self, now: datetime, limit: int = 100) -> list[Conversation]:
        """:return: conversations whose ``due_at`` is at or before ``now``, earliest first"""

    # -- messages ----------------------------------------------------------------------
    @abstractmethod
    async def get_message(self, message_id: int) -> Message | None: ...

    @abstractmethod
    async def find_message_by_channel_id(
        self, conversation_id: int, channel_message_id: str
    ) -> Message | None: ...

    @abstractmethod
    async def find_message_by_slack_ts(self, slack_channel: str,
                                       slack_ts: str) -> Message | None:
        """The message posted in ``slack_channel`` at ``slack_ts``; one with that ts in
        another channel is not it (a ts is unique only within a channel). A message stored
        without its channel (by an earlier release) is in its conversation's channel."""

    @abstractmethod
    async def thread_for_new_message(self, slack_channel: str, thread_ts: str,
                                     slack_ts: str) -> Conversation | None:
        """The conversation of the thread, unless a message with ``slack_ts`` is stored in
        it already (a redelivery): ``find_by_thread`` and ``find_message_by_slack_ts`` in
        one read."""

    @abstractmethod
    async def message_with_conversation(
        self, message_id: int
    ) -> tuple[Message, Conversation] | None:
        """A message and its conversation, in one read. :raise LookupError: the message
        names a conversation that does not exist"""

    @abstractmethod
    async def message_for_reply(
        self, message_id: int
    ) -> tuple[Message, Conversation, Customer | None] | None:
        """A message, its conversation and its customer (whose language a reply is
        rendered in), in one read: what sending a reply needs."""

    @abstractmethod
    async def save_message(self, message: Message) -> None:
        """Persist every field of an existing message (ids both ways, delivery state)."""

    @abstractmethod
    async def list_messages(self, conversation_id: int) -> list[Message]:
        """:return: the conversation's messages, oldest first"""

    # -- outbox ---------------------------------------------------------------------------
    @abstractmethod
    async def enqueue(self, jobs: Sequence[NewJob], *, now: float) -> list[int]:
        """Add jobs; a job whose ``dedupe_key`` is already queued is not added again.

        :return: the ids of the jobs (existing ids for duplicates)
        """

    @abstractmethod
    async def claim_jobs(self, *, now: float, lease: float, limit: int,
                         limits: Mapping[str, Limit] | None = None) -> list[Job]:
        """Take up to ``limit`` due jobs for ``lease`` seconds. A job is due when its time
        has come and no earlier job with the same ordering key is still queued or running.
        A running job whose lease ran out (its worker died) is due again. Each call hands a
        job to exactly one caller, across processes.

        A due job whose kind has a :class:`Limit` in ``limits`` is handed out only with a
        token from its bucket (``take_token``), taken in the same transaction; without one
        it stays queued, due when the token is, and its claim is not counted in ``runs``.
        Throttled jobs do not take the places of runnable ones further down the queue."""

    @abstractmethod
    async def complete_job(self, job: Job, *, save: Sequence[Message] = (),
                           enqueue: Sequence[NewJob] = (), now: float = 0.0) -> bool:
        """Remove a finished job, and in the same transaction save the messages it changed
        and enqueue its follow-up jobs (created at ``now``); those are kept even when the
        lease was lost. :return: False when the lease was lost to another worker."""

    @abstractmethod
    async def retry_job(
        self, job: Job, *, due_at: float, error: str, count_attempt: bool = True,
        ran: bool = True,
    ) -> bool:
        """Put a job back to run at ``due_at`` (a failure, or a wait for a rate limit).

        :param ran: False when the handler never started (a rate-limit wait): the claim
            is then not counted in ``Job.runs``
        """

    @abstractmethod
    async def fail_job(self, job: Job, *, error: str) -> bool:
        """Mark a job failed for good; later jobs with its ordering key go ahead."""

    @abstractmethod
    async def get_job(self, job_id: int) -> Job | None: ...

    @abstractmethod
    async def outbox_stats(self, *, now: float) -> OutboxStats: ...

    # -- rate limits -------------------------------------------------------------------------
    @abstractmethod
    async def take_token(self, bucket: str, *, rate: float, burst: float, now: float) -> float:
        """Token bucket shared by every process on the store.

        :return: 0 when a token was taken, else the seconds until one will be free
        """

    @abstractmethod
    async def hold_bucket(self, bucket: str, *, rate: float, until: float, now: float) -> None:
        """Empty a token bucket until ``until`` (the platform answered 429 with a
        Retry-After): every sender sharing it waits, not only the one that was refused."""

    # -- leases and logs ------------------------------------------------------------------------
    @abstractmethod
    async def acquire_lease(self, name: str, holder: str, *, ttl: float, now: float) -> bool:
        """Take or renew the lease ``name`` for ``ttl`` seconds. Only one holder at a time:
        another holder gets it once the lease ran out. :return: True when ``holder`` has it"""

    @abstractmethod
    async def append_log(self, name: str, entry: dict[str, Any], *, keep: int = 1000) -> None:
        """Append to a named log (the audit trail), keeping the newest ``keep`` entries."""

    @abstractmethod
    async def read_log(self, name: str, limit: int) -> list[dict[str, Any]]:
        """:return: up to ``limit`` entries, newest first"""

    # -- a keyed cache with expiry -------------------------------------------------------------
    @abstractmethod
    async def cache_put(self, key: str, value: dict[str, Any], *, ttl: float,
                        now: float) -> None:
        """Keep ``value`` (JSON) under ``key`` until ``now + ttl`` (caller's clock)."""

    @abstractmethod
    async def cache_get(self, key: str, *, now: float) -> dict[str, Any] | None:
        """The value under ``key``; None when there is none or it expired by ``now``."""

    # -- leads, pools, settings -----------------------------------------------------------------
    @abstractmethod
    async def create_lead(self, lead: Lead) -> tuple[Lead, bool]:
        """Store a lead with a new id, unless the conversation has one already.

        :return: (the conversation's lead, True when it was created by this call)
        """

    @abstractmethod
    async def get_lead(self, lead_id: int) -> Lead | None: ...

    @abstractmethod
    async def save_lead(self, lead: Lead) -> None: ...

    @abstractmethod
    async def list_leads(self, *, inbox: str | None = None) -> list[Lead]:
        """:return: the leads (of conversations of ``inbox``; None: every one), oldest
        first"""

    @abstractmethod
    async def save_pool(self, name: str, members: Sequence[str]) -> None:
        """Create or replace an owner pool; the round-robin cursor is kept."""

    @abstractmethod
    async def get_pool(self, name: str) -> list[str] | None: ...

    @abstractmethod
    async def delete_pool(self, name: str) -> bool: ...

    @abstractmethod
    async def list_pools(self) -> dict[str, list[str]]: ...

    @abstractmethod
    async def next_in_pool(self, name: str) -> str | None:
        """Atomically advance the pool's cursor. :return: the member whose turn it is"""

    @abstractmethod
    async def _read_setting(self, name: str) -> str | None:
        """The stored JSON text of a setting, or None."""

    @abstractmethod
    async def _write_setting(self, name: str, raw: str | None) -> None:
        """Store the JSON text of a setting; ``None`` removes it."""

    # -- settings, read through a short cache ------------------------------------------------
    async def get_setting(self, name: str) -> Any | None:
        """A setting's value. A change made through this store object shows at once; one
        made by another process within ``SETTINGS_TTL`` (every event reads several)."""
        raw = await self._settings.read(name, self._read_setting)
        return None if raw is None else json.loads(raw)

    async def set_setting(self, name: str, value: Any) -> None:
        """Store a JSON-serializable value; ``None`` removes it."""
        raw = None if value is None else codec.dumps(value)
        self._settings.forget(name)
        await self._write_setting(name, raw)
        self._settings.put(name, raw)

    # -- derived helpers --------------------------------------------------------------------------
    async def require_conversation(self, conversation_id: int) -> Conversation:
        conversation = await self.get_conversation(conversation_id)
        if conversation is None:
            raise LookupError(f"conversation {conversation_id} does not exist")
        return conversation

    async def settings_dict(self, names: Sequence[str]) -> dict[str, Any]:
        return {name: await self.get_setting(name) for name in names}
