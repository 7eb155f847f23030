"""Slack mrkdwn as it arrives in message events: its entities, mentions and plain words.

Slack has already escaped ``& < >`` as entities and wrapped links and mentions in angle
brackets, so every ``<…>`` in the input is markup. Rendering it into a customer channel's
format is that channel's business (``bot/channels/<name>/``); this module only reads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

# A Slack entity: a mention/special or a URL, then an optional label. Slack escapes every
# other "<", so anything else in angle brackets is text that did not come from Slack.
ENTITY_BODY = r"(?:[@#!]|[a-zA-Z][\w+.-]*:)[^<>\s|]*(?:\|[^<>\n]*)?"
_ENTITY = re.compile(rf"<({ENTITY_BODY})>")
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")


def mentioned_user_ids(text: str) -> list[str]:
    """The Slack user ids mentioned in ``text``, first occurrence order, no repeats."""
    return list(dict.fromkeys(_MENTION.findall(text)))


def slack_to_plain_text(text: str, *, user_names: Mapping[str, str] | None = None) -> str:
    """The words a person reads in a Slack message text: entities become their text and
    Slack's ``&amp;``/``&lt;``/``&gt;`` are undone, so that a template escaping for its own
    format (HTML, mrkdwn) escapes it once, not twice."""
    names = user_names or {}
    parts: Iterator[str] = (
        entity_text(piece, names) if index % 2 else slack_unescape(piece)
        for index, piece in enumerate(_ENTITY.split(text)))
    return "".join(parts)


def entity_text(inner: str, user_names: Mapping[str, str]) -> str:
    """What a Slack ``<…>`` entity reads as in plain text (unescaped)."""
    target, _, label = inner.partition("|")
    label = slack_unescape(label)
    if target.startswith("@"):
        return "@" + (user_names.get(target[1:]) or label.lstrip("@") or "someone")
    if target.startswith("#"):
        return "#" + (label or "channel")
    if target.startswith("!"):
        return _special_text(target[1:], label)
    # Slack links what looks like an address or a number: <mailto:a@b.c|a@b.c>, <tel:…>
    return label or slack_unescape(target).removeprefix("mailto:").removeprefix("tel:")


def _special_text(command: str, label: str) -> str:
    if command in _SPECIAL:
        return _SPECIAL[command]
    if command.startswith("subteam^"):
        return "@" + (label.lstrip("@") or "team")
    return label


def slack_unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
