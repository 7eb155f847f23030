"""Slack rich text and emoji shortcodes as the customer reads them (Telegram HTML)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.telegram.mrkdwn import slack_to_telegram_html
from bot.channels.telegram.rich_text import rich_text_html
from bot.rich_text import rich_text_user_ids


def rich(*elements: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "rich_text", "block_id": "b1", "elements": list(elements)}]


def section(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "rich_text_section", "elements": list(elements)}


def text(value: str, **style: bool) -> dict[str, Any]:
    return {"type": "text", "text": value, **({"style": style} if style else {})}


@pytest.mark.parametrize(("element", "shown"), [
    ({"type": "emoji", "name": "slightly_smiling_face", "unicode": "1f642"}, "🙂"),
    ({"type": "emoji", "name": "wave", "unicode": "1f44b-1f3fd", "skin_tone": 4}, "👋🏽"),
    ({"type": "emoji", "name": "thumbsup", "skin_tone": 2}, "👍🏻"),  # no unicode: the table
    ({"type": "emoji", "name": "partyparrot"}, ":partyparrot:"),      # a workspace's own
    ({"type": "emoji", "name": "smile", "unicode": "zz"}, "😄"),
])
def test_emoji_elements_become_characters(element: dict[str, Any], shown: str) -> None:
    assert rich_text_html(rich(section(element)), user_names={}) == shown


def test_text_is_literal_and_escaped_never_mrkdwn() -> None:
    blocks = rich(section(text("2*3*4 <b> & _x_ "), text("a<b", code=True, bold=True)))
    assert rich_text_html(blocks, user_names={}) == (
        "2*3*4 &lt;b&gt; &amp; _x_ <code>a&lt;b</code>")


def test_styles_links_and_mentions() -> None:
    blocks = rich(section(
        text("hot", bold=True, italic=True, strike=True), text(" "),
        {"type": "link", "url": "https://ex.example/?a=1&b=2", "text": "shop",
         "style": {"bold": True}}, text(" "),
        {"type": "link", "url": "javascript:alert(1)", "text": "no"}, text(" "),
        {"type": "user", "user_id": "U1"}, {"type": "user", "user_id": "U9"}, text(" "),
        {"type": "broadcast", "range": "channel"}))
    assert rich_text_html(blocks, user_names={"U1": "kim"}) == (
        '<b><i><s>hot</s></i></b> <a href="https://ex.example/?a=1&amp;b=2"><b>shop</b></a> '
        "no @kim@someone @channel")
    assert rich_text_user_ids(blocks) == ["U1", "U9"]


def test_lists_quotes_and_preformatted_stand_on_their_own_lines() -> None:
    blocks = rich(
        section(text("Intro")),
        {"type": "rich_text_list", "style": "bullet", "indent": 0,
         "elements": [section(text("a")), section(text("b"))]},
        {"type": "rich_text_list", "style": "bullet", "indent": 1,
         "elements": [section(text("a.1"))]},
        {"type": "rich_text_list", "style": "ordered", "indent": 0, "offset": 2,
         "elements": [section(text("third"))]},
        {"type": "rich_text_quote", "elements": [text("said "), text("so", italic=True)]},
        {"type": "rich_text_preformatted", "elements": [text("x = 1 < 2\n")]},
        section(text("end")))
    assert rich_text_html(blocks, user_names={}) == (
        "Intro\n• a\n• b\n   ◦ a.1\n3. third\n<blockquote>said <i>so</i></blockquote>\n"
        "<pre>x = 1 &lt; 2</pre>\nend")


@pytest.mark.parametrize(("mrkdwn", "shown"), [
    (":slightly_smiling_face: :+1::skin-tone-2: :tada:", "🙂 👍🏻 🎉"),
    (":partyparrot: stays", ":partyparrot: stays"),
    ("at 10:30:45 or a:b:c", "at 10:30:45 or a:b:c"),
    ("`:smile:` in code", "<code>:smile:</code> in code"),
])
def test_plain_text_shortcodes(mrkdwn: str, shown: str) -> None:
    assert slack_to_telegram_html(mrkdwn, user_names={}) == shown
