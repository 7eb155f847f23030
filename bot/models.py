"""Domain model. A leaf module: it imports nothing from the project."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    NEW = "new"
    ACTIVE = "active"
    INACTIVE = "inactive"
    DECLINED = "declined"
    CLOSED = "closed"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"
    NOTE = "note"


class Delivery(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class JobState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    FAILED = "failed"


#: the inbox every deployment without an inbox file has, and every record stored before
#: inboxes existed belongs to
DEFAULT_INBOX = "default"


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """A customer on one channel of one inbox: ``telegram`` + chat id, ``wechat`` + OpenID…

    Platforms number chats per account (each Telegram bot has its own), so the same person
    writing to two inboxes is two keys.
    """

    channel: str
    chat_id: str
    inbox: str = DEFAULT_INBOX

    def __str__(self) -> str:
        # The default inbox keeps the form stored before inboxes existed.
        if self.inbox == DEFAULT_INBOX:
            return f"{self.channel}:{self.chat_id}"
        return f"{self.inbox}/{self.channel}:{self.chat_id}"


@dataclass(frozen=True, slots=True)
class Customer:
    key: ConversationKey
    name: str = ""
    username: str = ""
    language: str = ""
    phone: str = ""
    email: str = ""


#: the kind of an Attachment that is a message an operator forwarded, not a file
SHARED_MESSAGE = "shared_message"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file or a structured item (location, contact) the customer or operator sent.

    ``ref`` is the platform's handle: a Telegram ``file_id`` or a Slack ``url_private``.
    ``details`` carries what is not a file (latitude/longitude, a contact's phone).
    """

    kind: str
    ref: str = ""
    name: str = ""
    mime: str = ""
    size: int = 0
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OutboundFile:
    """A file downloaded and ready to send: an operator's to the customer's channel, or a
    customer's to the Slack thread."""

    name: str
    mime: str
    data: bytes


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A customer's message normalized at the channel edge; ``raw`` keeps the original."""

    customer: Customer
    message_id: str
    event_key: str
    sent_at: datetime
    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    album_id: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> ConversationKey:
        return self.customer.key


@dataclass(slots=True)
class Conversation:
    id: int
    key: ConversationKey
    status: Status
    created_at: datetime
    slack_channel: str = ""
    thread_ts: str = ""
    assignee: str = ""
    first_response_at: datetime | None = None
    last_customer_at: datetime | None = None
    last_operator_at: datetime | None = None
    operator_streak: int = 0
    lead_id: int | None = None
    #: when the lifecycle sweeper must look at this conversation next (indexed)
    due_at: datetime | None = None
    # Free-form facts later features hang on a conversation (decline reason, flags,
    # timer marks) without a schema change in both backends.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_thread(self) -> bool:
        return bool(self.thread_ts)


@dataclass(slots=True)
class Message:
    id: int
    conversation_id: int
    direction: Direction
    author: str
    created_at: datetime
    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    channel_message_id: str = ""
    slack_ts: str = ""
    #: the channel of ``slack_ts`` (a ts is unique only within its channel); empty on
    #: messages stored before it was recorded, whose conversation's channel it is then
    slack_channel: str = ""
    album_id: str = ""
    delivery: Delivery = Delivery.PENDING
    failure: str = ""
    edited: bool = False
    deleted: bool = False
    #: an operator reply's Slack rich text (``rich_text`` blocks): what the customer sees
    #: is rendered from it when present, from ``text`` otherwise
    rich_text: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class Lead:
    id: int
    conversation_id: int
    owner: str
    status: str
    source: str
    created_by: str
    created_at: datetime
    first_name: str = ""
    last_name: str = ""
    username: str = ""
    email: str = ""
    phone: str = ""
    company: str = ""
    language: str = ""
    channel: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    external_id: str = ""
    activity: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class NewJob:
    """An outbox job to enqueue.

    Jobs that share an ``ordering_key`` (usually one conversation) run one at a time, in
    the order they were enqueued. ``dedupe_key`` makes enqueueing idempotent.
    """

    kind: str
    payload: Mapping[str, Any]
    dedupe_key: str
    ordering_key: str = ""
    delay: float = 0.0


@dataclass(slots=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    dedupe_key: str
    ordering_key: str
    state: JobState
    attempts: int
    due_at: float
    created_at: float
    lease_token: str = ""
    last_error: str = ""
    #: claims that may have reached the handler (a throttled claim is given back): more
    #: than one means an earlier run may have posted before it died
    runs: int = 0


SCOPE_MARK = "@"


def ordering_scope(ordering_key: str) -> str:
    """The scope an ordering key names after its last ``@`` (``slack:conv:7@acme``: the
    inbox ``acme``), or "" when it names none."""
    head, mark, scope = ordering_key.rpartition(SCOPE_MARK)
    return scope if mark and head else ""


@dataclass(frozen=True, slots=True)
class Limit:
    """A token bucket for one kind of job: ``rate`` runs per second, bursts up to
    ``burst``. With ``per_ordering_key`` each ordering key has a bucket of its own (a
    customer's chat), named ``bucket`` followed by the key; with ``per_scope`` each scope
    of the ordering keys (see :func:`ordering_scope`) has one, named ``bucket`` followed by
    the scope."""

    bucket: str
    rate: float
    burst: float
    per_ordering_key: bool = False
    per_scope: bool = False

    @property
    def naming(self) -> int:
        """How the bucket is named, as the Redis claim script reads it: 0 ``bucket``,
        1 followed by the ordering key, 2 followed by its scope."""
        return 1 if self.per_ordering_key else 2 if self.per_scope else 0

    def bucket_for(self, job: Job) -> str:
        if self.per_ordering_key:
            return self.bucket + job.ordering_key
        if self.per_scope:
            return self.bucket + ordering_scope(job.ordering_key)
        return self.bucket


@dataclass(frozen=True, slots=True)
class Ingested:
    """What one stored inbound message produced."""

    conversation: Conversation
    message: Message
    opened: bool
    job_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class OutboxStats:
    depth: int
    failed: int
    oldest_age: float


@dataclass(frozen=True, slots=True)
class OperatorMessage:
    """A human's message in a conversation thread, normalized from a Slack event.

    ``files`` carry Slack's ``url_private_download`` in ``ref``; ``shared`` holds messages
    the operator forwarded (``kind="shared_message"``, the author in ``name``, the mrkdwn
    text in ``details["text"]``); ``rich_text`` the event's ``rich_text`` blocks.
    """

    slack_channel: str
    thread_ts: str
    ts: str
    user: str
    text: str
    files: tuple[Attachment, ...] = ()
    shared: tuple[Attachment, ...] = ()
    rich_text: tuple[Mapping[str, Any], ...] = ()
    event_key: str = ""
    #: dedupe keys that record this Slack delivery as processed (``Delivery``), kept for
    #: ``delivery_ttl`` seconds; written with the message when it is stored
    delivery_keys: tuple[str, ...] = ()
    delivery_ttl: float = 0.0


@dataclass(frozen=True, slots=True)
class LeadRequest:
    """What an operator asked for when creating or updating a lead. Empty means "not
    given": creation falls back to the defaults and the customer's details, an update
    leaves the field as it is."""

    owner: str = ""
    pool: str = ""
    status: str = ""
    source: str = ""
    first_name: str = ""
    last_name: str = ""
    username: str = ""
    email: str = ""
    phone: str = ""
    company: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class CardRef:
    """The conversation card a button click or a modal came from: the conversation id
    the button (or modal) carries, and the channel and ts of the card it was on."""

    conversation_id: int
    slack_channel: str
    card_ts: str

    def matches(self, conv: Conversation) -> bool:
        """True when the card is ``conv``'s own root card (its thread's first message)."""
        return (conv.id == self.conversation_id and conv.has_thread
                and (conv.slack_channel, conv.thread_ts) == (self.slack_channel, self.card_ts))


@dataclass(frozen=True, slots=True)
class LeadForm:
    """A lead modal's content: the prefilled request and the choices it offers."""

    conversation_id: int
    prefill: LeadRequest
    language: str
    channel: str
    statuses: tuple[str, ...]
    sources: tuple[str, ...]
    pools: tuple[str, ...]
    existing_lead_id: int | None = None
