"""Pure readers of Slack ``message`` events: what a human did in a conversation thread."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.models import SHARED_MESSAGE, Attachment, OperatorMessage

Event = Mapping[str, Any]

# Plain replies, replies with files and "also send to channel" replies; every other subtype
# (bot_message, joins, topic changes, message_replied…) is not something an operator wrote.
HUMAN_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})


def is_human_reply(message: Event) -> bool:
    """A person's message inside a thread: not the root, not a bot (ours or another)."""
    thread_ts, ts = message.get("thread_ts"), message.get("ts")
    return (
        bool(thread_ts) and bool(ts) and thread_ts != ts
        and not message.get("bot_id")
        and bool(message.get("user"))
        and message.get("subtype") in HUMAN_SUBTYPES
    )


# What tells how to get a file that came without a download URL.
_ACCESS_KEYS = ("id", "mode", "file_access")


def attachment(file: Event) -> Attachment:
    # Files Slack only lists (tombstoned, hidden by plan limits, Slack Connect ones to look
    # up with files.info) have no download URL; they are kept with an empty ref, and the
    # details say why, so the delivery jobs can fetch them or tell the operator.
    return Attachment(
        kind="file",
        ref=str(file.get("url_private_download") or file.get("url_private") or ""),
        name=str(file.get("name") or file.get("title") or ""),
        mime=str(file.get("mimetype") or ""),
        size=int(file.get("size") or 0),
        details={key: str(file[key]) for key in _ACCESS_KEYS if file.get(key)},
    )


def _mappings(value: Any) -> list[Event]:
    return [item for item in value or () if isinstance(item, Mapping)]


def rich_text(message: Event) -> tuple[Event, ...]:
    """The ``rich_text`` blocks Slack's composer made of the message (emoji, styles,
    lists… as structure rather than mrkdwn)."""
    return tuple(b for b in _mappings(message.get("blocks")) if b.get("type") == "rich_text")


def _shares(message: Event) -> list[Event]:
    # A forwarded ("shared") message is a message attachment marked is_share; link and
    # message unfurls are not the operator's words, and stay in Slack.
    return [a for a in _mappings(message.get("attachments")) if a.get("is_share")]


def shared_message(share: Event) -> Attachment:
    return Attachment(kind=SHARED_MESSAGE,
                      name=str(share.get("author_name") or share.get("author_subname") or ""),
                      details={"text": str(share.get("text") or share.get("fallback") or "")})


def operator_message(event: Event) -> OperatorMessage | None:
    """The operator's thread reply in ``event``, or ``None`` for anything else."""
    channel = event.get("channel")
    if not channel or not is_human_reply(event):
        return None
    ts, shares = str(event["ts"]), _shares(event)
    files = _mappings(event.get("files")) + [f for s in shares for f in _mappings(s.get("files"))]
    return OperatorMessage(
        slack_channel=str(channel),
        thread_ts=str(event["thread_ts"]),
        ts=ts,
        user=str(event["user"]),
        text=str(event.get("text") or ""),
        files=tuple(attachment(f) for f in files),
        shared=tuple(shared_message(s) for s in shares),
        rich_text=rich_text(event),
        event_key=f"slack:{channel}:{ts}",
    )


def edited(event: Event) -> tuple[str, str, str] | None:
    """``(channel, ts, new text)`` when a human edited the text of a thread reply."""
    if event.get("subtype") != "message_changed":
        return None
    channel, message = event.get("channel"), event.get("message")
    if not channel or not isinstance(message, Mapping) or not is_human_reply(message):
        return None
    previous = event.get("previous_message")
    text = str(message.get("text") or "")
    # Slack also sends message_changed when it unfurls a link: the text is unchanged then.
    if isinstance(previous, Mapping) and str(previous.get("text") or "") == text:
        return None
    return str(channel), str(message["ts"]), text


def deleted(event: Event) -> tuple[str, str] | None:
    """``(channel, deleted ts)`` when a thread reply was deleted."""
    if event.get("subtype") != "message_deleted":
        return None
    channel, ts = event.get("channel"), event.get("deleted_ts")
    if not channel or not ts:
        return None
    previous = event.get("previous_message")
    # Without previous_message the ts alone decides: only operator messages are acted on.
    if isinstance(previous, Mapping) and not is_human_reply(previous):
        return None
    return str(channel), str(ts)
