"""Slack mrkdwn (as it arrives in message events) → Telegram's HTML subset.

The conversion lifts code spans and angle-bracket entities out as finished HTML (each
replaced by one placeholder), turns emoji shortcodes into emoji, escapes the remaining text
for Telegram, styles it, then puts the lifted pieces back in order.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from bot.formatting import ENTITY_BODY, entity_text, slack_to_plain_text, slack_unescape
from bot.shortcodes import with_emoji

_HOLE = "\x00"
_LIFTED = re.compile(
    rf"```(?P<block>.*?)```|`(?P<code>[^`\n]+)`|<(?P<entity>{ENTITY_BODY})>", re.S)
# A styled span stays within one line and 1000 characters: the bound keeps a line full
# of unmatched markers linear instead of quadratic.
_STYLE = re.compile(r"(?<!\w)([*_~])(?=\S)([^\n]{0,1000}?\S)\1(?!\w)")
_TAGS = {"*": "b", "_": "i", "~": "s"}
# Real replies nest two or three styles; "*_*_*_…" must not exhaust the stack.
_MAX_NESTING = 8
_LINK_SCHEMES = ("http://", "https://", "mailto:", "tg://", "ftp://")
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
    body = _quotes(_style(_escape(with_emoji(slack_unescape(body)))))
    pieces = iter(lifted)
    return re.sub(_HOLE, lambda _: next(pieces), body)


def _lifted_html(match: re.Match[str], user_names: Mapping[str, str]) -> str:
    if match["block"] is not None:
        return f"<pre>{_plain(match['block'].removeprefix(chr(10)), user_names)}</pre>"
    if match["code"] is not None:
        return f"<code>{_plain(match['code'], user_names)}</code>"
    return _entity_html(match["entity"], user_names)


def _plain(code: str, user_names: Mapping[str, str]) -> str:
    """Code content: entities become their text, nothing is styled or linked."""
    return _escape(slack_to_plain_text(code, user_names=user_names))


def _entity_html(inner: str, user_names: Mapping[str, str]) -> str:
    target, _, label = inner.partition("|")
    if target.lower().startswith(_LINK_SCHEMES):
        href = html.escape(slack_unescape(target), quote=True)
        shown = label or target.removeprefix("mailto:")
        return f'<a href="{href}">{_escape(slack_unescape(shown))}</a>'
    return _escape(entity_text(inner, user_names))


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


def _escape(text: str) -> str:
    return html.escape(text, quote=False)
