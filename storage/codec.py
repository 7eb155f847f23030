"""JSON documents for the models, shared by both backends so they store the same shape."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any, TypeVar

from bot.models import (
    DEFAULT_INBOX,
    Attachment,
    Conversation,
    ConversationKey,
    Customer,
    Delivery,
    Direction,
    Job,
    JobState,
    Lead,
    Message,
    Status,
)

T = TypeVar("T")


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def dumps(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def key_doc(key: ConversationKey) -> list[str]:
    """``[channel, chat_id]``, with the inbox third unless it is the default one: documents
    of the default inbox keep the form stored before inboxes existed."""
    if key.inbox == DEFAULT_INBOX:
        return [key.channel, key.chat_id]
    return [key.channel, key.chat_id, key.inbox]


def key_from(items: list[str]) -> ConversationKey:
    """A key document; one stored without an inbox is the default inbox's."""
    return ConversationKey(*items)


def customer_doc(customer: Customer) -> dict[str, Any]:
    doc = asdict(customer)
    doc["key"] = key_doc(customer.key)
    return doc


def customer_from(doc: dict[str, Any]) -> Customer:
    key = doc.pop("key")
    return Customer(key=key_from(key), **doc)


def attachments_doc(items: tuple[Attachment, ...]) -> list[dict[str, Any]]:
    return [{**asdict(a), "details": dict(a.details)} for a in items]


def attachments_from(items: list[dict[str, Any]]) -> tuple[Attachment, ...]:
    return tuple(Attachment(**item) for item in items)


def conversation_doc(conv: Conversation) -> dict[str, Any]:
    return {
        "id": conv.id,
        "key": key_doc(conv.key),
        "status": conv.status.value,
        "created_at": _when(conv.created_at),
        "slack_channel": conv.slack_channel,
        "thread_ts": conv.thread_ts,
        "assignee": conv.assignee,
        "first_response_at": _when(conv.first_response_at),
        "last_customer_at": _when(conv.last_customer_at),
        "last_operator_at": _when(conv.last_operator_at),
        "operator_streak": conv.operator_streak,
        "lead_id": conv.lead_id,
        "due_at": _when(conv.due_at),
        "extra": conv.extra,
    }


def conversation_from(doc: dict[str, Any]) -> Conversation:
    created = _parse_when(doc["created_at"])
    assert created is not None
    return Conversation(
        id=doc["id"],
        key=key_from(doc["key"]),
        status=Status(doc["status"]),
        created_at=created,
        slack_channel=doc["slack_channel"],
        thread_ts=doc["thread_ts"],
        assignee=doc["assignee"],
        first_response_at=_parse_when(doc["first_response_at"]),
        last_customer_at=_parse_when(doc["last_customer_at"]),
        last_operator_at=_parse_when(doc["last_operator_at"]),
        operator_streak=doc["operator_streak"],
        lead_id=doc["lead_id"],
        due_at=_parse_when(doc.get("due_at")),
        extra=doc["extra"],
    )


def message_doc(msg: Message) -> dict[str, Any]:
    doc = {f.name: getattr(msg, f.name) for f in fields(msg)}
    doc["direction"] = msg.direction.value
    doc["delivery"] = msg.delivery.value
    doc["created_at"] = _when(msg.created_at)
    doc["attachments"] = attachments_doc(msg.attachments)
    return doc


def message_from(doc: dict[str, Any]) -> Message:
    doc = dict(doc)
    doc["direction"] = Direction(doc["direction"])
    doc["delivery"] = Delivery(doc["delivery"])
    doc["created_at"] = _parse_when(doc["created_at"])
    doc["attachments"] = attachments_from(doc["attachments"])
    return Message(**doc)


def lead_doc(lead: Lead) -> dict[str, Any]:
    doc = {f.name: getattr(lead, f.name) for f in fields(lead)}
    doc["created_at"] = _when(lead.created_at)
    doc["tags"] = list(lead.tags)
    return doc


def lead_from(doc: dict[str, Any]) -> Lead:
    doc = dict(doc)
    doc["created_at"] = _parse_when(doc["created_at"])
    doc["tags"] = tuple(doc["tags"])
    return Lead(**doc)


def job_doc(job: Job) -> dict[str, Any]:
    doc = {f.name: getattr(job, f.name) for f in fields(job)}
    doc["state"] = job.state.value
    return doc


def job_from(doc: dict[str, Any]) -> Job:
    doc = dict(doc)
    doc["state"] = JobState(doc["state"])
    return Job(**doc)
