"""Small builders for domain objects used across tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.models import (
    Conversation,
    ConversationKey,
    Customer,
    Direction,
    InboundMessage,
    Lead,
    Message,
    NewJob,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def inbound(chat_id: str = "42", message_id: str = "1", text: str = "hello", *,
            event_key: str | None = None, name: str = "Ann Lee",
            album_id: str = "") -> InboundMessage:
    customer = Customer(ConversationKey("telegram", chat_id), name=name, username="ann",
                        language="en")
    return InboundMessage(customer=customer, message_id=message_id, text=text, sent_at=T0,
                          event_key=event_key or f"telegram:{chat_id}:{message_id}",
                          album_id=album_id)


def relay_plan(conv: Conversation, msg: Message, opened: bool) -> Sequence[NewJob]:
    return [NewJob(kind="slack.relay_in", payload={"message_id": msg.id},
                   dedupe_key=f"relay:{msg.id}", ordering_key=f"conv:{conv.id}")]


def out_message(conversation_id: int, text: str = "hi there", *,
                slack_channel: str = "C1") -> Message:
    return Message(id=0, conversation_id=conversation_id, direction=Direction.OUT,
                   author="U1", created_at=T0, text=text, slack_ts="1700000000.000100",
                   slack_channel=slack_channel)


def lead(conversation_id: int, owner: str = "U9") -> Lead:
    return Lead(id=0, conversation_id=conversation_id, owner=owner, status="New",
                source="Telegram", created_by="U1", created_at=T0, first_name="Ann")


def job(n: int, ordering_key: str = "", delay: float = 0.0) -> NewJob:
    return NewJob(kind="test", payload={"n": n}, dedupe_key=f"job:{n}",
                  ordering_key=ordering_key, delay=delay)
