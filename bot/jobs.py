"""Outbox job kinds and the builders that name, order and dedupe them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.models import DEFAULT_INBOX, SCOPE_MARK, Conversation, ConversationKey, Message, NewJob

RELAY_IN = "slack.relay_in"          # a customer message → the thread
MIRROR_EDIT = "slack.mirror_edit"    # a customer's edit → the mirrored Slack message
NOTICE = "slack.notice"              # a bot note in the thread (⚠️ failures, info)
WHISPER = "slack.whisper"            # an ephemeral answer to one Slack user
REACT = "slack.react"                # the delivered reaction on an operator's message
SEND = "channel.send"                # an operator reply → the customer
EDIT = "channel.edit"                # an operator's edit → the customer's copy
DELETE = "channel.delete"            # an operator's delete → the customer's copy
SEND_TEXT = "channel.send_text"      # a bot text (greeting, auto-reply) → the customer
REFRESH_CARD = "slack.refresh_card"  # re-render a thread's root card from the stored state
CRM_WEBHOOK = "crm.webhook"          # a lead event → the CRM webhook
BILLING_LOOKUP = "billing.lookup"    # a customer's billing context from one provider

# Telegram sends the items of an album as separate messages within a moment; the first
# one's relay waits this long so the whole album goes out as one Slack post.
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
