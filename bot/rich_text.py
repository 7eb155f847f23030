"""Slack rich text (a message's ``rich_text`` blocks): its structure and plain words.

Rich text is what Slack's composer really produced: styles, emoji and mentions as
structure, and text that is never mrkdwn (a literal ``*`` stays a ``*``). Rendering it into
a customer channel's format is that channel's business (``bot/channels/<name>/``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from bot.shortcodes import emoji_for

Element = Mapping[str, Any]


def rich_text_user_ids(blocks: Sequence[Element]) -> list[str]:
    """The users mentioned in ``blocks``, first occurrence order, no repeats."""
    return list(dict.fromkeys(
        str(e["user_id"]) for e in _walk(blocks) if e.get("type") == "user" and e.get("user_id")))


def children(element: Element) -> list[Element]:
    return [c for c in element.get("elements") or () if isinstance(c, Mapping)]


def _walk(elements: Sequence[Element]) -> Iterator[Element]:
    for element in elements:
        yield element
        yield from _walk(children(element))


def element_text(element: Element, names: Mapping[str, str]) -> str:
    """What one inline element reads as, unescaped."""
    kind = element.get("type")
    if kind == "emoji":
        return _emoji(element)
    if kind == "user":
        return "@" + (names.get(str(element.get("user_id"))) or "someone")
    if kind == "usergroup":
        return "@team"
    if kind == "channel":
        return "#channel"
    if kind == "broadcast":
        return "@" + str(element.get("range") or "here")
    if kind == "date":
        return str(element.get("fallback") or "")
    if kind == "color":
        return str(element.get("value") or "")
    if kind == "link":
        return str(element.get("text") or element.get("url") or "")
    return str(element.get("text") or "")


def _emoji(element: Element) -> str:
    """The character from Slack's ``unicode`` code points ("1f44d-1f3fb"), else from the
    shortcode table; a custom emoji stays ``:name:``."""
    try:
        return "".join(chr(int(point, 16)) for point in str(element["unicode"]).split("-"))
    except (KeyError, ValueError, OverflowError):
        pass
    name = str(element.get("name") or "")
    return emoji_for(name, int(element.get("skin_tone") or 0)) or f":{name}:"
