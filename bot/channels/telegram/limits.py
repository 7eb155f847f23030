"""Telegram's length limits: visible length of its HTML, and cutting it into messages."""

from __future__ import annotations

import html
import re

_HTML_TOKEN = re.compile(r"<[^>]*>|&#?\w+;|.", re.S)
_TAG_NAME = re.compile(r"<(/?)([\w-]+)")
_Stack = list[tuple[str, str]]  # open tags: (name, the opening tag as written)


def visible_length(html_text: str) -> int:
    """Length as Telegram counts it for its limits: after parsing, in UTF-16 code units."""
    return sum(_weight(token) for token in _HTML_TOKEN.findall(html_text))


def split_html(html_text: str, limit: int = 4096) -> list[str]:
    """Split Telegram HTML into messages of at most ``limit`` visible characters.

    Cuts at a newline if possible, else at a space, else anywhere outside a tag or an
    entity. Tags open at a cut are closed at the end of the chunk and reopened (with their
    attributes) at the start of the next, so each chunk parses on its own.
    """
    tokens = _HTML_TOKEN.findall(html_text)
    if sum(map(_weight, tokens)) <= limit:
        return [html_text]
    chunks: list[str] = []
    start, stack = 0, _Stack()
    while start < len(tokens):
        end, skip, after = _cut(tokens, start, stack, limit)
        body = "".join(tag for _, tag in stack) + "".join(tokens[start:end])
        chunks.append(body + "".join(f"</{name}>" for name, _ in reversed(after)))
        start, stack = end + skip, after
    return [chunk for chunk in chunks if _has_text(chunk)]


def _cut(tokens: list[str], start: int, stack: _Stack, limit: int) -> tuple[int, int, _Stack]:
    """Where the chunk starting at ``start`` ends: (end, tokens to skip, open tags there)."""
    used, current = 0, list(stack)
    newline: tuple[int, _Stack] | None = None
    space: tuple[int, _Stack] | None = None
    for index in range(start, len(tokens)):
        token = tokens[index]
        used += _weight(token)
        if used > limit and token.isspace():
            return index, 1, current
        if used > limit:
            break
        if token == "\n":
            newline = (index, list(current))
        elif token.isspace():
            space = (index, list(current))
        _track(current, token)
    else:
        return len(tokens), 0, current
    for best in (newline, space):
        if best is not None and best[0] > start:
            return best[0], 1, best[1]
    if index == start:  # a limit smaller than one character: still make progress
        _track(current, tokens[index])
        index += 1
    return index, 0, current


def _track(stack: _Stack, token: str) -> None:
    match = _TAG_NAME.match(token)
    if match is None:
        return
    closing, name = match.groups()
    if not closing:
        stack.append((name, token))
        return
    for position in range(len(stack) - 1, -1, -1):
        if stack[position][0] == name:
            del stack[position]
            return


def _weight(token: str) -> int:
    if token.startswith("<") and len(token) > 1:
        return 0
    if token.startswith("&") and len(token) > 1:
        return 1
    return len(token.encode("utf-16-le")) // 2


def _has_text(chunk: str) -> bool:
    return bool(html.unescape(re.sub(r"<[^>]*>", "", chunk)).strip())
