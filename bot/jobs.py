"""Outbox job kinds, in one table (:data:`KINDS`: what each does, where, in which order,
under which rate limit), and the builders that name, order and dedupe them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.errors import BridgeError
from bot.models import (
    DEFAULT_INBOX,
    SCOPE_MARK,
    Conversation,
    ConversationKey,
    Limit,
    Message,
    NewJob,
)
from storage import keys

if TYPE_CHECKING:
    from bot.outbox import Handler, Outbox

RELAY_IN = "slack.relay_in"
MIRROR_EDIT = "slack.mirror_edit"
NOTICE = "slack.notice"
WHISPER = "slack.whisper"
REACT = "slack.react"
REFRESH_CARD = "slack.refresh_card"
SEND = "channel.send"
EDIT = "channel.edit"
DELETE = "channel.delete"
SEND_TEXT = "channel.send_text"
CRM_WEBHOOK = "crm.webhook"
MARK = "desk.mark_conversation"
BILLING_LOOKUP = "billing.lookup"


class Side(StrEnum):
    """Where a job's handler acts."""

    SLACK = "Slack"
    CUSTOMER = "customer channel"
    CRM = "CRM"
    DESK = "desk"
    BILLING = "billing provider"


class Ordering(StrEnum):
    """Which jobs a job waits for: those enqueued before it with the same ordering key."""

    THREAD = "the conversation's Slack jobs (to_slack)"
    CUSTOMER = "the conversation's jobs to its customer (to_customer)"
    LEAD = "the lead's CRM events (crm:lead:<id>)"
    LOOKUP = "the conversation's lookups at one provider (billing:conv:<id>:<provider>)"
    NONE = "none: runs as soon as it is due"


class RateLimit(StrEnum):
    """Whose token bucket a job takes (rates in :class:`Rates`)."""

    SLACK_CHANNEL = "one per Slack channel (each inbox's)"
    CUSTOMER_CHAT = "one per customer chat"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class JobKind:
    """One kind of outbox job. ``kind`` is stored with every job: it never changes."""

    kind: str
    does: str
    side: Side
    ordering: Ordering
    limit: RateLimit = RateLimit.NONE


#: every outbox job kind the bot queues and runs
KINDS: tuple[JobKind, ...] = (
    JobKind(RELAY_IN, "a customer message → the thread (opens it first)",
            Side.SLACK, Ordering.THREAD, RateLimit.SLACK_CHANNEL),
    JobKind(MIRROR_EDIT, "a customer's edit → the mirrored Slack message",
            Side.SLACK, Ordering.THREAD),
    JobKind(NOTICE, "a bot note in the thread (⚠️ failures, info)",
            Side.SLACK, Ordering.THREAD, RateLimit.SLACK_CHANNEL),
    JobKind(WHISPER, "an ephemeral answer to one Slack user", Side.SLACK, Ordering.NONE),
    JobKind(REACT, "the delivered reaction on an operator's message",
            Side.SLACK, Ordering.THREAD),
    JobKind(REFRESH_CARD, "re-render a thread's root card from the stored state",
            Side.SLACK, Ordering.THREAD),
    JobKind(SEND, "an operator reply → the customer",
            Side.CUSTOMER, Ordering.CUSTOMER, RateLimit.CUSTOMER_CHAT),
    JobKind(EDIT, "an operator's edit → the customer's copy",
            Side.CUSTOMER, Ordering.CUSTOMER, RateLimit.CUSTOMER_CHAT),
    JobKind(DELETE, "an operator's delete → the customer's copy",
            Side.CUSTOMER, Ordering.CUSTOMER, RateLimit.CUSTOMER_CHAT),
    JobKind(SEND_TEXT, "a bot text (greeting, auto-reply) → the customer",
            Side.CUSTOMER, Ordering.CUSTOMER, RateLimit.CUSTOMER_CHAT),
    JobKind(CRM_WEBHOOK, "a lead event → the CRM webhook", Side.CRM, Ordering.LEAD),
    JobKind(MARK, "merge desk marks (auto-replies sent) into the conversation; after the "
            "message's relay_in, which saves the whole conversation", Side.DESK, Ordering.THREAD),
    JobKind(BILLING_LOOKUP, "a customer's billing context from one provider → the card",
            Side.BILLING, Ordering.LOOKUP),
)
BY_KIND: Mapping[str, JobKind] = {spec.kind: spec for spec in KINDS}


@dataclass(frozen=True)
class Rates:
    """Per-destination send rates (tokens per second, burst)."""

    slack_per_channel: tuple[float, float] = (1.0, 4.0)
    per_customer_chat: tuple[float, float] = (1.0, 3.0)

    def limits(self) -> Mapping[RateLimit, Limit]:
        slack_rate, slack_burst = self.slack_per_channel
        chat_rate, chat_burst = self.per_customer_chat
        # a Slack job's ordering key names its inbox, and each inbox its own channel;
        # a customer job's names the conversation, and a per-chat bucket is what channels count
        return {RateLimit.SLACK_CHANNEL: Limit(keys.SLACK_BUCKET, slack_rate, slack_burst,
                                               per_scope=True),
                RateLimit.CUSTOMER_CHAT: Limit(keys.CHAT_BUCKET, chat_rate, chat_burst,
                                               per_ordering_key=True)}


class JobTableError(BridgeError):
    """Handlers and the table of kinds disagree: a programming error, found at start."""


def check_served(served: Iterable[str]) -> None:
    """Every served kind is in :data:`KINDS`, and a side someone serves is served whole (a
    side nobody serves, Slack without a workspace, is simply off).

    :raise JobTableError: naming each kind at fault"""
    served = set(served)
    problems = [f"{kind}: a handler for a kind not in bot.jobs.KINDS"
                for kind in sorted(served - BY_KIND.keys())]
    on = {BY_KIND[kind].side for kind in served & BY_KIND.keys()}
    problems += [f"{spec.kind}: no handler, though its side ({spec.side}) is served"
                 for spec in KINDS if spec.side in on and spec.kind not in served]
    if problems:
        raise JobTableError("; ".join(problems))


# Telegram sends the items of an album as separate messages within a moment; the first
# one's relay_in job waits this long so the whole album goes out as one Slack post.
ALBUM_WAIT = 1.0


@dataclass(frozen=True, slots=True)
class CustomerText:
    """A bot text for a customer, before any channel has put it in its format.

    :param purpose: the template, ``templates/customer/<purpose>.<language>.j2``
    :param language: one of ``bot.rendering.LANGUAGES`` (``Renderer.language_for``)
    :param context: the template's variables; JSON values only (the job is stored)
    """

    purpose: str
    language: str
    context: Mapping[str, Any] = field(default_factory=dict)


def to_slack(conv_id: int, inbox: str = DEFAULT_INBOX) -> str:
    """The ordering key of a conversation's Slack jobs. It names the inbox (whose Slack
    channel's rate bucket they take) except for the default inbox, whose keys keep the
    form jobs queued before inboxes existed have."""
    if inbox == DEFAULT_INBOX:
        return f"slack:conv:{conv_id}"
    return f"slack:conv:{conv_id}{SCOPE_MARK}{inbox}"


def to_customer(conv_id: int) -> str:
    return f"chan:conv:{conv_id}"


def relay_in(conv: Conversation, msg: Message) -> NewJob:
    if msg.album_id:
        return NewJob(RELAY_IN, {"message_id": msg.id}, f"relay:album:{conv.id}:{msg.album_id}",
                      to_slack(conv.id, conv.key.inbox), delay=ALBUM_WAIT)
    return NewJob(RELAY_IN, {"message_id": msg.id}, f"relay:{msg.id}",
                  to_slack(conv.id, conv.key.inbox))


def notice(conv: Conversation, text: str, dedupe_key: str, *,
           broadcast: bool = False) -> NewJob:
    return NewJob(NOTICE, {"conversation_id": conv.id, "text": text, "broadcast": broadcast},
                  dedupe_key, to_slack(conv.id, conv.key.inbox))


def refresh_card(conv: Conversation, dedupe_key: str) -> NewJob:
    return NewJob(REFRESH_CARD, {"conversation_id": conv.id}, dedupe_key,
                  to_slack(conv.id, conv.key.inbox))


def whisper(user: str, text: str, thread_ts: str, dedupe_key: str, *, channel: str) -> NewJob:
    """:param channel: the Slack channel to answer in (jobs queued by an earlier release
        may lack it: those answer in the default inbox's)"""
    payload = {"user": user, "text": text, "thread_ts": thread_ts, "channel": channel}
    return NewJob(WHISPER, payload, dedupe_key)


def send_text(key: ConversationKey, text: CustomerText, dedupe_key: str,
              conv_id: int = 0) -> NewJob:
    """The channel renders ``text`` into its own format when it sends it. (A payload with
    ``html`` instead, queued by an older release, is sent as it is.)"""
    ordering = to_customer(conv_id) if conv_id else f"chan:{key}"
    return NewJob(SEND_TEXT, {"channel": key.channel, "chat_id": key.chat_id,
                              "inbox": key.inbox, "purpose": text.purpose,
                              "language": text.language,
                              "context": dict(text.context), "conversation_id": conv_id},
                  dedupe_key, ordering)


def rendered_before(payload: Mapping[str, Any]) -> str | None:
    """The finished text of a ``send_text`` job queued by a release that rendered customer
    texts before queueing them (Telegram HTML, under ``html``); None for a neutral one."""
    text = payload.get("html")
    return None if text is None else str(text)


def react(conv: Conversation, msg: Message, name: str) -> NewJob:
    """The delivered reaction: it carries what it needs, so the job reads nothing."""
    payload = {"message_id": msg.id, "slack_ts": msg.slack_ts, "name": name,
               "channel": msg.slack_channel or conv.slack_channel}
    return NewJob(REACT, payload, f"react:{msg.id}", to_slack(conv.id, conv.key.inbox))


def for_message(kind: str, msg: Message, dedupe_key: str, *,
                inbox: str = DEFAULT_INBOX) -> NewJob:
    """:param inbox: the inbox of the message's conversation"""
    if kind in (RELAY_IN, MIRROR_EDIT):
        return NewJob(kind, {"message_id": msg.id}, dedupe_key,
                      to_slack(msg.conversation_id, inbox))
    return NewJob(kind, {"message_id": msg.id}, dedupe_key, to_customer(msg.conversation_id))


def billing_lookup(conv: Conversation, provider: str) -> NewJob:
    """One provider's lookup for a conversation: one queued at a time (its retries back
    off), in its own order, so a provider that is down holds up nothing else."""
    return NewJob(BILLING_LOOKUP, {"conversation_id": conv.id, "provider": provider},
                  f"billing:{conv.id}:{provider}", f"billing:conv:{conv.id}:{provider}")


def route_jobs(outbox: Outbox, owners: Iterable[Mapping[str, Handler]], rates: Rates) -> None:
    """Route every job kind the owners serve, as :data:`bot.KINDS` describes it.

    :raise JobTableError: a kind served twice, a handler for a kind not in the table, or
        a kind of a served side without one"""
    served: dict[str, Handler] = {}
    for handlers in owners:
        if twice := served.keys() & handlers.keys():
            raise JobTableError(f"{', '.join(sorted(twice))}: more than one handler")
        served |= handlers
    check_served(served)
    limits = rates.limits()
    for spec in KINDS:
        if spec.kind in served:
            outbox.route(spec.kind, served[spec.kind], limit=limits.get(spec.limit))
