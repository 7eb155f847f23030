"""Slack mrkdwn (as it arrives in message events) → Telegram's HTML subset.

Slack has already escaped ``& < >`` as entities and wrapped links and mentions in angle
brackets, so every ``<…>`` in the input is markup. The conversion lifts code spans and
angle-bracket entities out as finished HTML (each replaced by one placeholder), turns
emoji shortcodes into emoji, escapes the remaining text for Telegram, styles it, then puts
the lifted pieces back in order.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping

from bot.shortcodes import with_emoji

_HOLE = "\x00"
# A Slack entity: a mention/special or a URL, then an optional label. Slack escapes every
# other "<", so anything else in angle brackets is text that did not come from Slack.
_ENTITY_BODY = r"(?:[@#!]|[a-zA-Z][\w+.-]*:)[^<>\s|]*(?:\|[^<>\n]*)?"
_LIFTED = re.compile(
    rf"```(?P<block>.*?)```|`(?P<code>[^`\n]+)`|<(?P<entity>{_ENTITY_BODY})>", re.S)
_ENTITY = re.compile(rf"<({_ENTITY_BODY})>")
# A styled span stays within one line and 1000 characters: the bound keeps a line full
# of unmatched markers linear instead of quadratic.
_STYLE = re.compile(r"(?<!\w)([*_~])(?=\S)([^\n]{0,1000}?\S)\1(?!\w)")
_TAGS = {"*": "b", "_": "i", "~": "s"}
# Real replies nest two or three styles; "*_*_*_…" must not exhaust the stack.
_MAX_NESTING = 8
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}
_LINK_SCHEMES = ("http://", "https://", "mailto:", "tg://", "ftp://")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
_QUOTE = re.compile(r"^&gt; ?")


def slack_to_telegram_html(text: str, *, user_names: Mapping[str, str]) -> str:
    """Convert one Slack message text to HTML that Telegram's ``parse_mode=HTML`` accepts.

    :param user_names: Slack user id → display name, for ``<@U…>`` mentions
    """
    lifted: list[str] = []

    def lift(match: re.Match[str]) -> str:
        lifted.append(_lifted_html(match, user_names))
        return _HOLE

    body = _LIFTED.sub(lift, text.replace(_HOLE, ""))
    body = _quotes(_style(_escape(with_emoji(_slack_unescape(body)))))
    pieces = iter(lifted)
    return re.sub(_HOLE, lambda _: next(pieces), body)


def mentioned_user_ids(text: str) -> list[str]:
    """The Slack user ids mentioned in ``text``, first occurrence order, no repeats."""
    return list(dict.fromkeys(_MENTION.findall(text)))


def _lifted_html(match: re.Match[str], user_names: Mapping[str, str]) -> str:
    if match["block"] is not None:
        return f"<pre>{_plain(match['block'].removeprefix(chr(10)), user_names)}</pre>"
    if match["code"] is not None:
        return f"<code>{_plain(match['code'], user_names)}</code>"
    return _entity_html(match["entity"], user_names)


def slack_to_plain_text(text: str, *, user_names: Mapping[str, str] | None = None) -> str:
    """The words a person reads in a Slack message text: entities become their text and
    Slack's ``&amp;``/``&lt;``/``&gt;`` are undone, so that a template escaping for its own
    format (HTML, mrkdwn) escapes it once, not twice."""
    names = user_names or {}
    parts: Iterator[str] = (
        _entity_text(piece, names) if index % 2 else _slack_unescape(piece)
        for index, piece in enumerate(_ENTITY.split(text)))
    return "".join(parts)


def _plain(code: str, user_names: Mapping[str, str]) -> str:
    """Code content: entities become their text, nothing is styled or linked."""
    return _escape(slack_to_plain_text(code, user_names=user_names))


def _entity_html(inner: str, user_names: Mapping[str, str]) -> str:
    target, _, label = inner.partition("|")
    if target.lower().startswith(_LINK_SCHEMES):
        href = html.escape(_slack_unescape(target), quote=True)
        shown = label or target.removeprefix("mailto:")
        return f'<a href="{href}">{_escape(_slack_unescape(shown))}</a>'
    return _escape(_entity_text(inner, user_names))


def _entity_text(inner: str, user_names: Mapping[str, str]) -> str:
    """What a Slack ``<…>`` entity reads as in plain text (unescaped)."""
    target, _, label = inner.partition("|")
    label = _slack_unescape(label)
    if target.startswith("@"):
        return "@" + (user_names.get(target[1:]) or label.lstrip("@") or "someone")
    if target.startswith("#"):
        return "#" + (label or "channel")
    if target.startswith("!"):
        return _special_text(target[1:], label)
    return label or _slack_unescape(target)


def _special_text(command: str, label: str) -> str:
    if command in _SPECIAL:
        return _SPECIAL[command]
    if command.startswith("subteam^"):
        return "@" + (label.lstrip("@") or "team")
    return label


def _style(text: str, depth: int = 0) -> str:
    """``*b*`` ``_i_`` ``~s~`` → tags; the outer span is closed before the next one opens,
    so the tags are always properly nested."""
    if depth >= _MAX_NESTING:
        return text
    out: list[str] = []
    pos = 0
    for match in _STYLE.finditer(text):
        tag = _TAGS[match[1]]
        out += [text[pos:match.start()], f"<{tag}>{_style(match[2], depth + 1)}</{tag}>"]
        pos = match.end()
    return "".join(out) + text[pos:]


def _quotes(text: str) -> str:
    """Consecutive lines starting with ``>`` become one ``<blockquote>``."""
    out: list[str] = []
    quoted: list[str] = []
    for line in text.split("\n"):
        if _QUOTE.match(line):
            quoted.append(_QUOTE.sub("", line))
            continue
        _flush_quote(out, quoted)
        out.append(line)
    _flush_quote(out, quoted)
    return "\n".join(out)


def _flush_quote(out: list[str], quoted: list[str]) -> None:
    if quoted:
        out.append("<blockquote>" + "\n".join(quoted) + "</blockquote>")
        quoted.clear()


def _slack_unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


# -- Telegram length limits ----------------------------------------------------------------

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
