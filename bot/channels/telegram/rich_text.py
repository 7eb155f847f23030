"""Slack rich text (a message's ``rich_text`` blocks) → Telegram's HTML subset.

Rendered directly from the structure, where the ``text`` field would have to be re-parsed.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from bot.rich_text import Element, children, element_text

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
        for element in children(block):
            piece, is_block = _section(element, user_names)
            if out and (is_block or after_block) and not out.endswith("\n"):
                out += "\n"
            out, after_block = out + piece, is_block
    return out.rstrip("\n")


def _section(element: Element, names: Mapping[str, str]) -> tuple[str, bool]:
    """One top-level element as HTML, and whether it stands as a block of its own."""
    kind = element.get("type")
    if kind == "rich_text_list":
        return _list_items(element, names), True
    if kind == "rich_text_preformatted":
        plain = "".join(element_text(e, names) for e in children(element))
        return f"<pre>{_escape(plain.strip(chr(10)))}</pre>", True
    if kind == "rich_text_quote":
        return f"<blockquote>{_inline(element, names).strip(chr(10))}</blockquote>", True
    return _inline(element, names), False


def _list_items(element: Element, names: Mapping[str, str]) -> str:
    indent = int(element.get("indent") or 0)
    ordered = element.get("style") == "ordered"
    first = int(element.get("offset") or 0) + 1
    lines = []
    for number, item in enumerate(children(element), first):
        marker = f"{number}." if ordered else _BULLETS[indent % len(_BULLETS)]
        lines.append(f"{'   ' * indent}{marker} {_inline(item, names).strip(chr(10))}")
    return "\n".join(lines)


def _inline(section: Element, names: Mapping[str, str]) -> str:
    return "".join(_element_html(e, names) for e in children(section))


def _element_html(element: Element, names: Mapping[str, str]) -> str:
    style = element.get("style") if isinstance(element.get("style"), Mapping) else {}
    if element.get("type") == "link":
        return _link(element, style or {})
    shown = _escape(element_text(element, names))
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


def _escape(text: str) -> str:
    return html.escape(text, quote=False)
