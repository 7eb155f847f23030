"""What storing a customer's message does to the documents, the same in every backend."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime

from bot.models import Conversation, Customer, Direction, InboundMessage, Message


def successor(previous: Conversation | None, conv: Conversation) -> Conversation:
    """A conversation opened in place of ``previous`` remembers it (to link the threads)."""
    if previous is not None:
        conv.extra["previous_conversation"] = previous.id
        conv.extra["previous_thread"] = [previous.slack_channel, previous.thread_ts]
    return conv


def merged_customer(old: Customer | None, new: Customer) -> Customer:
    """What the customer told us before stays unless they tell us something new: a phone
    shared once in a contact is not wiped by the next plain message."""
    if old is None:
        return new
    return replace(new, **{f.name: getattr(new, f.name) or getattr(old, f.name)
                           for f in fields(new) if f.name != "key"})


def touched(conv: Conversation, now: datetime) -> Conversation:
    """A customer wrote: timestamps move, the operators' streak resets, the sweeper looks."""
    conv.last_customer_at, conv.operator_streak = now, 0
    conv.due_at = min(conv.due_at, now) if conv.due_at else now
    return conv


def inbound_message(inbound: InboundMessage, *, conversation_id: int, now: datetime,
                    message_id: int = 0) -> Message:
    """The stored form of a customer's message (both backends build it the same way)."""
    return Message(id=message_id, conversation_id=conversation_id, direction=Direction.IN,
                   author=inbound.customer.name, created_at=now, text=inbound.text,
                   attachments=inbound.attachments, channel_message_id=inbound.message_id,
                   album_id=inbound.album_id)
