"""What an operator's reply carries to the customer: emoji, rich text styles, forwarded
messages, and never an empty message."""

from __future__ import annotations

from typing import Any

from tests.fakes import tg_updates as tg
from tests.scenarios.harness import CHANNEL, OPERATOR, Desk

# A Slack message shared into the thread with "Forward message", as the Events API sends it.
SHARED_FAQ = {
    "ts": "1700000123.000200", "channel_id": "CFAQ", "channel_name": "faq",
    "channel_team": "T0001", "is_msg_unfurl": True, "is_share": True, "id": 1,
    "original_url": "https://x.slack.com/archives/CFAQ/p1700000123000200",
    "from_url": "https://x.slack.com/archives/CFAQ/p1700000123000200",
    "fallback": "[November 14th, 2023 10:15 PM] ann: Opening hours: *9 to 5* :clock9:",
    "text": "Opening hours: *9 to 5*, Monday to Friday :slightly_smiling_face:",
    "author_id": "UANN", "author_subname": "Ann Lee", "author_name": "Ann Lee",
    "author_link": "https://x.slack.com/team/UANN",
    "author_icon": "https://avatars.example/UANN.png",
    "mrkdwn_in": ["text"], "color": "D0D0D0", "footer": "Posted in #faq",
    "message_blocks": [{"team": "T0001", "channel": "CFAQ", "ts": "1700000123.000200",
                        "message": {"blocks": []}}],
}


async def _thread(desk: Desk, chat_id: int) -> str:
    await desk.customer_sends(tg.text_message(chat_id, "hello"))
    await desk.settle()
    return await desk.thread_of(chat_id)


async def _operator_event(desk: Desk, thread: str, text: str, **fields: Any) -> str:
    stored = desk.slack.store_message(CHANNEL, text=text, thread_ts=thread, user=OPERATOR,
                                      bot_id=None, app_id=None, **fields)
    event = {"type": "message", "channel": CHANNEL, "user": OPERATOR, "text": text,
             "ts": stored["ts"], "thread_ts": thread, "event_ts": stored["ts"],
             "channel_type": "channel", "client_msg_id": "6c1a", "team": "T0001", **fields}
    assert await desk.slack_event(event) == 200
    return str(stored["ts"])


def _sent_html(desk: Desk) -> list[str]:
    return [str(c["text"]) for c in desk.tg.calls_to("sendMessage")]


async def test_plain_text_shortcodes_reach_the_customer_as_emoji(desk: Desk) -> None:
    thread = await _thread(desk, 501)
    await desk.operator_writes(
        thread, "Done :white_check_mark: see you :wave::skin-tone-3: :partyparrot: `:smile:`")
    await desk.settle()
    assert desk.tg.texts(501) == ["Sam: Done ✅ see you 👋🏼 :partyparrot: :smile:"]


RICH_TEXT = [{"type": "rich_text", "block_id": "Xk3", "elements": [
    {"type": "rich_text_section", "elements": [
        {"type": "text", "text": "Thanks "},
        {"type": "emoji", "name": "slightly_smiling_face", "unicode": "1f642"},
        {"type": "text", "text": " the price is "},
        {"type": "text", "text": "12 EUR", "style": {"bold": True}},
        {"type": "text", "text": " (was "},
        {"type": "text", "text": "15", "style": {"strike": True}},
        {"type": "text", "text": "), 2*3 boxes for "},
        {"type": "user", "user_id": "UOPS2"},
        {"type": "text", "text": ", details on "},
        {"type": "link", "url": "https://shop.example/a?b=1&c=2", "text": "our site"},
        {"type": "text", "text": " "},
        {"type": "emoji", "name": "thumbsup", "unicode": "1f44d-1f3fb", "skin_tone": 2},
        {"type": "text", "text": "\nSteps:"},
    ]},
    {"type": "rich_text_list", "style": "ordered", "indent": 0, "border": 0, "elements": [
        {"type": "rich_text_section", "elements": [{"type": "text", "text": "pay"}]},
        {"type": "rich_text_section", "elements": [
            {"type": "text", "text": "code", "style": {"code": True}}]},
    ]},
]}]
RICH_TEXT_AS_MRKDWN = ("Thanks :slightly_smiling_face: the price is *12 EUR* (was ~15~), 2*3 "
                       "boxes for <@UOPS2>, details on <https://shop.example/a?b=1&amp;c=2|our "
                       "site> :thumbsup::skin-tone-2:\nSteps:\n1. pay\n2. `code`")


async def test_rich_text_is_rendered_with_emoji_styles_and_lists(desk: Desk) -> None:
    thread = await _thread(desk, 501)
    await _operator_event(desk, thread, RICH_TEXT_AS_MRKDWN, blocks=RICH_TEXT)
    await desk.settle()
    expected = ("<b>Sam</b>: Thanks 🙂 the price is <b>12 EUR</b> (was <s>15</s>), 2*3 boxes "
                'for @kim, details on <a href="https://shop.example/a?b=1&amp;c=2">our site</a> '
                "👍🏻\nSteps:\n1. pay\n2. <code>code</code>")
    assert _sent_html(desk) == [expected]


async def test_a_forwarded_message_reaches_the_customer_with_its_author(desk: Desk) -> None:
    thread = await _thread(desk, 501)
    await _operator_event(desk, thread, "", attachments=[SHARED_FAQ])
    await _operator_event(desk, thread, "As Ann said:", attachments=[SHARED_FAQ])
    await desk.settle()
    forwarded = ("<i>Forwarded from Ann Lee:</i>\n"
                 "Opening hours: <b>9 to 5</b>, Monday to Friday 🙂")
    assert _sent_html(desk) == [f"<b>Sam</b>: {forwarded}",
                                f"<b>Sam</b>: As Ann said:\n\n{forwarded}"]


async def test_a_reply_with_nothing_to_show_is_refused_in_the_thread(desk: Desk) -> None:
    thread = await _thread(desk, 501)
    empty_share = {**SHARED_FAQ, "text": "", "fallback": ""}
    await _operator_event(desk, thread, "", attachments=[empty_share])
    await desk.settle()
    assert desk.tg.calls_to("sendMessage") == []
    note = desk.slack.thread(CHANNEL, thread)[-1]["text"]
    assert "Not delivered" in note and "nothing a customer can be shown" in note


async def test_an_edit_reaches_the_customer_from_its_new_rich_text(desk: Desk) -> None:
    thread = await _thread(desk, 501)
    ts = await desk.operator_writes(thread, "Price is 10 EUR")
    await desk.settle()
    blocks = [{"type": "rich_text", "block_id": "e1", "elements": [
        {"type": "rich_text_section", "elements": [
            {"type": "text", "text": "Price is "},
            {"type": "text", "text": "12 EUR", "style": {"bold": True}},
            {"type": "text", "text": " "},
            {"type": "emoji", "name": "tada", "unicode": "1f389"}]}]}]
    new = {"type": "message", "user": OPERATOR, "text": "Price is *12 EUR* :tada:", "ts": ts,
           "thread_ts": thread, "edited": {"user": OPERATOR, "ts": "1800000000.000100"},
           "blocks": blocks}
    event = {"type": "message", "subtype": "message_changed", "hidden": True,
             "channel": CHANNEL, "ts": "1800000000.000100", "message": new,
             "previous_message": {**new, "text": "Price is 10 EUR", "blocks": []},
             "event_ts": "1800000000.000100"}
    assert await desk.slack_event(event) == 200
    await desk.settle()
    (edit,) = desk.tg.calls_to("editMessageText")
    assert edit["text"] == "<b>Sam</b>: Price is <b>12 EUR</b> 🎉"
