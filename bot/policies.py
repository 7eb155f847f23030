"""Channel messaging policies: what operators may still send a customer on a channel.

WeChat, for one, takes a business's messages only within 48 h of the customer's last
message, at most 5 per customer message, and only some file formats and sizes
(platform-facts 3.7-3.8). A channel's rules start from its capabilities
(``bot/channels``), an inbox may override them, and the desk's ``channel_policies``
preference overrides both, each layer per channel and per key. These are pure rules over a
stored conversation and the reply's files; ``bot/policy_guard.py`` applies them to replies
and to the card.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.durations import parse_duration
from bot.models import Attachment, Conversation

MB = 1024 * 1024
# formats by MIME type, for a file whose name has no extension
_MIME_FORMATS = {"image/jpeg": "jpeg", "image/png": "png", "image/gif": "gif",
                 "audio/amr": "amr", "audio/mpeg": "mp3", "audio/mp3": "mp3",
                 "video/mp4": "mp4"}


@dataclass(frozen=True)
class MediaRule:
    kind: str
    max_bytes: int
    formats: tuple[str, ...]


@dataclass(frozen=True)
class ChannelPolicy:
    """``None`` means no limit of that sort; ``media=None`` takes any file."""

    window: timedelta | None = None
    quota: int | None = None
    media: tuple[MediaRule, ...] | None = None

    @property
    def limits_replies(self) -> bool:
        return self.window is not None or self.quota is not None


NO_POLICY = ChannelPolicy()


@dataclass(frozen=True)
class Violation:
    """Why a reply may not go out: ``rule`` names the template, ``details`` fill it."""

    rule: str
    details: Mapping[str, Any] = field(default_factory=dict)


def _media_rule(kind: str, doc: Mapping[str, Any]) -> MediaRule:
    max_mb, formats = doc.get("max_mb"), doc.get("formats")
    if not isinstance(max_mb, int | float) or isinstance(max_mb, bool) or max_mb <= 0:
        raise ValueError(f"media {kind}: max_mb must be a positive number")
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise ValueError(f"media {kind}: formats must be a list of names (jpeg, mp4, …)")
    return MediaRule(kind, int(max_mb * MB), tuple(f.lower() for f in formats))


def channel_policy(doc: Mapping[str, Any]) -> ChannelPolicy:
    """A policy from its preference document. :raise ValueError: on a malformed one"""
    unknown = set(doc) - {"window", "quota", "media"}
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}")
    window = (parse_duration(doc["window"]) if doc.get("window") else None) or None
    quota = doc.get("quota")
    if quota is not None and (not isinstance(quota, int) or isinstance(quota, bool)
                              or quota < 1):
        raise ValueError("quota must be a whole number of messages, 1 or more")
    media = doc.get("media")
    if media is not None and not isinstance(media, Mapping):
        raise ValueError("media must map a kind to {max_mb, formats}")
    rules = None if media is None else tuple(_media_rule(k, v) for k, v in media.items())
    return ChannelPolicy(window=window, quota=quota, media=rules)


def merge_policy_docs(defaults: Mapping[str, Any], configured: Mapping[str, Any],
                      ) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Configured documents merged over the defaults per channel and per key (``None`` lifts
    a channel's rules). A malformed one is reported and the channel keeps its default.

    :return: the merged documents by channel kind, and the problems found
    """
    docs: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for channel in sorted({*defaults, *configured}):
        override = configured.get(channel, {})
        if override is None:
            continue
        try:
            merged = {**defaults.get(channel, {}), **override}
            channel_policy(merged)
            docs[channel] = merged
        except (ValueError, TypeError, AttributeError) as exc:
            problems.append(f"{channel}: {exc}")
            if channel in defaults:
                docs[channel] = dict(defaults[channel])
    return docs, problems


def channel_policies(defaults: Mapping[str, Any], configured: Mapping[str, Any],
                     ) -> tuple[dict[str, ChannelPolicy], list[str]]:
    """:func:`merge_policy_docs`, parsed. :return: the policies by channel kind, and the
    problems found"""
    docs, problems = merge_policy_docs(defaults, configured)
    return {channel: channel_policy(doc) for channel, doc in docs.items()}, problems


def file_format(file: Attachment) -> str:
    """``jpeg``, ``mp4``…: the name's extension, else the MIME type's."""
    _, dot, extension = file.name.rpartition(".")
    if dot and extension:
        return extension.lower()
    mime = file.mime.lower()
    return _MIME_FORMATS.get(mime, mime.rpartition("/")[2])


def message_cost(files: Sequence[Attachment]) -> int:
    """Messages the customer receives for one reply: one per file (the text rides on the
    first), or one for the text alone."""
    return max(1, len(files))


def window_end(policy: ChannelPolicy, conv: Conversation) -> datetime | None:
    if policy.window is None:
        return None
    return (conv.last_customer_at or conv.created_at) + policy.window


def quota_left(policy: ChannelPolicy, conv: Conversation) -> int | None:
    if policy.quota is None:
        return None
    return max(0, policy.quota - conv.operator_streak)


def file_violation(policy: ChannelPolicy, file: Attachment) -> Violation | None:
    if policy.media is None:
        return None
    fmt = file_format(file)
    rule = next((r for r in policy.media if fmt in r.formats), None)
    if rule is None:
        return Violation("file_kind", {"name": file.name or fmt, "format": fmt})
    if file.size > rule.max_bytes:
        return Violation("file_too_large", {"name": file.name or fmt, "size": file.size,
                                            "kind": rule.kind, "max_bytes": rule.max_bytes})
    return None


def reply_violation(policy: ChannelPolicy, conv: Conversation, files: Sequence[Attachment],
                    now: datetime) -> Violation | None:
    """:return: the first rule the reply would break (window, quota, then each file)"""
    end = window_end(policy, conv)
    if end is not None and now >= end:
        return Violation("window_closed", {"window": policy.window, "closed_for": now - end})
    left, cost = quota_left(policy, conv), message_cost(files)
    if left is not None and left == 0:
        return Violation("quota_used", {"quota": policy.quota, "sent": conv.operator_streak})
    if left is not None and cost > left:
        return Violation("quota_short", {"quota": policy.quota, "left": left, "cost": cost})
    return next(filter(None, (file_violation(policy, f) for f in files)), None)
