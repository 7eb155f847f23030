from __future__ import annotations

import re

import pytest

from bot.channels.telegram.limits import split_html, visible_length
from bot.channels.telegram.mrkdwn import slack_to_telegram_html
from bot.formatting import mentioned_user_ids
from tests.fakes.telegram_wire import html_to_plain

NAMES = {"U1": "Ann Lee", "U2": "<b>Bob</b> & co"}

CASES = [
    # plain text and escaping
    ("hello", "hello"),
    ("a &amp; b &lt;tag&gt;", "a &amp; b &lt;tag&gt;"),
    ("&amp;amp; stays literal", "&amp;amp; stays literal"),
    ("raw < & > from a bot", "raw &lt; &amp; &gt; from a bot"),
    ('quotes " and \' pass', 'quotes " and \' pass'),
    # styles
    ("*bold*", "<b>bold</b>"),
    ("_italic_", "<i>italic</i>"),
    ("~strike~", "<s>strike</s>"),
    ("*bold* and _it_ and ~gone~", "<b>bold</b> and <i>it</i> and <s>gone</s>"),
    ("*_both_*", "<b><i>both</i></b>"),
    ("_*both*_", "<i><b>both</b></i>"),
    ("*a _b* c_", "<b>a _b</b> c_"),
    ("snake_case_name", "snake_case_name"),
    ("2*3*4 = 24", "2*3*4 = 24"),
    ("* not bold *", "* not bold *"),
    ("*two\nlines*", "*two\nlines*"),
    ("(*parenthesised*)", "(<b>parenthesised</b>)"),
    # code
    ("`code`", "<code>code</code>"),
    ("`*not bold* &lt;x&gt;`", "<code>*not bold* &lt;x&gt;</code>"),
    ("```\nblock *x*\n_y_\n```", "<pre>block *x*\n_y_\n</pre>"),
    ("```a &amp; b```", "<pre>a &amp; b</pre>"),
    ("`<https://x.io|link>` in code", "<code>link</code> in code"),
    ("*bold `code` bold*", "<b>bold <code>code</code> bold</b>"),
    # links
    ("<https://x.io|label>", '<a href="https://x.io">label</a>'),
    ("<https://x.io>", '<a href="https://x.io">https://x.io</a>'),
    ("<https://x.io/?a=1&amp;b=2|q>", '<a href="https://x.io/?a=1&amp;b=2">q</a>'),
    ('<https://x.io/"q"|x>', '<a href="https://x.io/&quot;q&quot;">x</a>'),
    ("<https://x.io|a &lt;b&gt;>", '<a href="https://x.io">a &lt;b&gt;</a>'),
    ("<mailto:a@b.co|a@b.co>", '<a href="mailto:a@b.co">a@b.co</a>'),
    ("<mailto:a@b.co>", '<a href="mailto:a@b.co">a@b.co</a>'),
    ("*see <https://x.io|here>*", '<b>see <a href="https://x.io">here</a></b>'),
    ("<https://x.io|*label*>", '<a href="https://x.io">*label*</a>'),
    ("<javascript:alert(1)|click>", "click"),
    # mentions and specials
    ("hi <@U1>", "hi @Ann Lee"),
    ("<@U9|zed>", "@zed"),
    ("<@U9>", "@someone"),
    ("<@U2>", "@&lt;b&gt;Bob&lt;/b&gt; &amp; co"),
    ("<#C1|general>", "#general"),
    ("<#C1>", "#channel"),
    ("<!here> <!channel> <!everyone>", "@here @channel @everyone"),
    ("<!subteam^S1|@team>", "@team"),
    ("<!subteam^S1>", "@team"),
    ("<!date^1392734382^{date}|Feb 18th>", "Feb 18th"),
    # quotes
    ("&gt; quoted\n&gt; more\nafter", "<blockquote>quoted\nmore</blockquote>\nafter"),
    ("a &gt; b", "a &gt; b"),
    # hostile input
    ("\x00<@U1>\x00", "@Ann Lee"),
    ("<unterminated", "&lt;unterminated"),
    ("``` unclosed *b*", "``` unclosed <b>b</b>"),
]


@pytest.mark.parametrize(("mrkdwn", "expected"), CASES)
def test_slack_to_telegram_html(mrkdwn: str, expected: str) -> None:
    assert slack_to_telegram_html(mrkdwn, user_names=NAMES) == expected


@pytest.mark.parametrize("mrkdwn", [case for case, _ in CASES] + [
    "*a `b* c` d*", "_<https://x|a_b>_", "~*_`x`_*~", "<<>>", "&<>&amp;", "*&amp;*_&lt;_"])
def test_output_always_parses_as_telegram_html(mrkdwn: str) -> None:
    out = slack_to_telegram_html(mrkdwn, user_names=NAMES)
    html_to_plain(out)  # raises on unbalanced or unsupported tags
    assert not re.search(r"&(?!lt;|gt;|amp;|quot;)", out)


@pytest.mark.parametrize(("mrkdwn", "expected"), [
    ("no mentions", []),
    ("<@U1> and <@W2|w> and <@U1>", ["U1", "W2"]),
    ("<#C1|x> <!here> <!subteam^S1|@t>", []),
])
def test_mentioned_user_ids(mrkdwn: str, expected: list[str]) -> None:
    assert mentioned_user_ids(mrkdwn) == expected


@pytest.mark.parametrize(("html", "expected"), [
    ("abc", 3),
    ("<b>abc</b>", 3),
    ("a &amp; b", 5),
    ("😀", 2),  # Telegram counts UTF-16 code units
    ('<a href="https://long.example/path">x</a>', 1),
])
def test_visible_length(html: str, expected: int) -> None:
    assert visible_length(html) == expected


@pytest.mark.parametrize(("html", "limit", "expected"), [
    ("short", 10, ["short"]),
    ("", 10, [""]),
    ("one two three", 7, ["one two", "three"]),
    ("line one\nline two", 12, ["line one", "line two"]),
    ("aaa bbb\nccc", 9, ["aaa bbb", "ccc"]),
    ("abcdefgh", 3, ["abc", "def", "gh"]),
    ("<b>one two</b>", 4, ["<b>one</b>", "<b>two</b>"]),
    ('x <a href="u">one two</a> y', 5, ['x <a href="u">one</a>', '<a href="u">two</a> y']),
    ("<b><i>ab cd</i></b>", 2, ["<b><i>ab</i></b>", "<b><i>cd</i></b>"]),
    ("a &amp; b &lt; c", 5, ["a &amp; b", "&lt; c"]),
    ("&amp;&amp;&amp;", 2, ["&amp;&amp;", "&amp;"]),
    ("😀😀😀", 4, ["😀😀", "😀"]),
    ("a\n\n\nb", 1, ["a", "b"]),
])
def test_split_html(html: str, limit: int, expected: list[str]) -> None:
    assert split_html(html, limit) == expected


def test_split_html_long_reply_keeps_every_chunk_valid_and_in_limit() -> None:
    paragraph = "<b>Bold start</b> then <a href=\"https://x.io\">a link with words</a> &amp; " \
                + "word " * 300 + "<pre>" + "code line\n" * 200 + "</pre>"
    html = "\n".join([paragraph] * 5)
    chunks = split_html(html, 4096)
    assert len(chunks) > 1
    for chunk in chunks:
        assert visible_length(chunk) <= 4096
        html_to_plain(chunk)
    joined = "".join(html_to_plain(chunk) for chunk in chunks)
    assert re.sub(r"\s", "", joined) == re.sub(r"\s", "", html_to_plain(html))
