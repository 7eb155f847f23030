"""Slack rich text (a message's ``rich_text`` blocks) → Telegram's HTML subset.

Rich text is what Slack's composer really produced: styles, emoji and mentions as
structure, and text that is never mrkdwn (a literal ``*`` stays a ``*``). So it is
rendered directly, where the ``text`` field would have to be re-parsed.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from bot.shortcodes import emoji_for

Element = Mapping[str, Any]

_LINK_SCHEMES = ("http://", "https://", "mailto:", "tg://", "ftp://")
_BULLETS = ("•", "◦", "▪")
# Telegram allows nothing inside <code>, so a code span drops its other styles.
_STYLE_TAGS = (("strike", "s"), ("italic", "i"), ("bold", "b"))


def rich_text_html(blocks: Sequence[Element], *, user_names: Mapping[str, str]) -> str:
    """Telegram HTML for the ``rich_text`` blocks of one message.

    :param user_names: Slack user id → display name, for user mentions
    """
    out, after_block = "", False
    for block in blocks:
        for element in _children(block):
            piece, is_block = _section(element, user_names)
            if out and (is_block or after_block) and not out.endswith("\n"):
                out += "\n"
            out, after_block = out + piece, is_block
    return out.rstrip("\n")


def rich_text_user_ids(blocks: Sequence[Element]) -> list[str]:
    """The users mentioned in ``blocks``, first occurrence order, no repeats."""
    return list(dict.fromkeys(
        str(e["user_id"]) for e in _walk(blocks) if e.get("type") == "user" and e.get("user_id")))


def _children(element: Element) -> list[Element]:
    return [c for c in element.get("elements") or () if isinstance(c, Mapping)]


def _walk(elements: Sequence[Element]) -> Iterator[Element]:
    for element in elements:
        yield element
        yield from _walk(_children(element))


def _section(element: Element, names: Mapping[str, str]) -> tuple[str, bool]:
    """One top-level element as HTML, and whether it stands as a block of its own."""
    kind = element.get("type")
    if kind == "rich_text_list":
        return _list_items(element, names), True
    if kind == "rich_text_preformatted":
        plain = "".join(_plain(e, names) for e in _children(element))
        return f"<pre>{_escape(plain.strip(chr(10)))}</pre>", True
    if kind == "rich_text_quote":
        return f"<blockquote>{_inline(element, names).strip(chr(10))}</blockquote>", True
    return _inline(element, names), False


def _list_items(element: Element, names: Mapping[str, str]) -> str:
    indent = int(element.get("indent") or 0)
    ordered = element.get("style") == "ordered"
    first = int(element.get("offset") or 0) + 1
    lines = []
    for number, item in enumerate(_children(element), first):
        marker = f"{number}." if ordered else _BULLETS[indent % len(_BULLETS)]
        lines.append(f"{'   ' * indent}{marker} {_inline(item, names).strip(chr(10))}")
    return "\n".join(lines)


def _inline(section: Element, names: Mapping[str, str]) -> str:
    return "".join(_element_html(e, names) for e in _children(section))


def _element_html(element: Element, names: Mapping[str, str]) -> str:
    style = element.get("style") if isinstance(element.get("style"), Mapping) else {}
    if element.get("type") == "link":
        return _link(element, style or {})
    shown = _escape(_plain(element, names))
    if element.get("type") == "emoji":
        return shown
    return _styled(shown, style or {})


def _link(element: Element, style: Mapping[str, Any]) -> str:
    url = str(element.get("url") or "")
    label = _escape(str(element.get("text") or url.removeprefix("mailto:")))
    if not url.lower().startswith(_LINK_SCHEMES):
        return _styled(label, style)
    href = html.escape(url, quote=True)
    return f'<a href="{href}">{_styled(label, {**style, "code": False})}</a>'


def _styled(shown: str, style: Mapping[str, Any]) -> str:
    if not shown:
        return shown
    if style.get("code"):
        return f"<code>{shown}</code>"
    for key, tag in _STYLE_TAGS:
        if style.get(key):
            shown = f"<{tag}>{shown}</{tag}>"
    return shown


def _plain(element: Element, names: Mapping[str, str]) -> str:
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


def _escape(text: str) -> str:
    return html.escape(text, quote=False)
