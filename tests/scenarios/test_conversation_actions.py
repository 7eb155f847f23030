"""Accept, decline, reopen and close from the card's buttons and from ! commands."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.models import CardRef, Status
from bot.slack.interactions import card_metadata
from tests.fakes import tg_updates as tg
from tests.scenarios.harness import CHANNEL, OPERATOR, Desk, running_desk

ACK = {"en": "Thanks for your message", "fr": "Merci pour votre message", "ja": "ありがとうございます"}
DECLINED = {"en": "we can't help you", "fr": "ne pouvons pas donner suite", "ja": "お応えできません"}
REASON = {"en": "Reason: ", "fr": "Motif : ", "ja": "理由："}
BYE = {"en": "This conversation is now closed", "fr": "conversation est maintenant close",
       "ja": "この会話は終了しました"}


async def _open(desk: Desk, chat_id: int, language: str = "en") -> str:
    await desk.customer_sends(tg.text_message(chat_id, "hello", language_code=language))
    await desk.settle()
    return await desk.thread_of(chat_id)


async def click(desk: Desk, action_id: str, chat_id: int, user: str = OPERATOR, *,
                channel: str = CHANNEL, message_ts: str = "") -> int:
    """A click on the button ``action_id`` of the conversation's card; ``channel`` and
    ``message_ts`` place the clicked message elsewhere (default: the card itself)."""
    conv = await desk.conversation(chat_id)
    assert conv is not None
    payload = {"type": "block_actions", "user": {"id": user, "username": "sam", "team_id": "T0001"},
               "api_app_id": "A0001", "token": "legacy", "trigger_id": "1337.42.abcd",
               "team": {"id": "T0001", "domain": "desk"}, "channel": {"id": channel},
               "container": {"type": "message", "message_ts": message_ts or conv.thread_ts,
                             "channel_id": channel, "is_ephemeral": False},
               "response_url": "https://hooks.slack.test/actions/1",
               "actions": [{"action_id": action_id, "block_id": f"conv:{conv.id}",
                            "value": str(conv.id), "type": "button",
                            "action_ts": "1800000000.1"}]}
    return await desk.slack_post(urlencode({"payload": json.dumps(payload)}),
                                 "application/x-www-form-urlencoded")


async def submit(desk: Desk, callback_id: str, chat_id: int, values: dict[str, Any],
                 user: str = OPERATOR, *, metadata: str | None = None) -> int:
    """A modal submission; its metadata is what the app puts in a modal opened from the
    conversation's card, unless ``metadata`` is given."""
    conv = await desk.conversation(chat_id)
    assert conv is not None
    if metadata is None:
        metadata = card_metadata(CardRef(conv.id, CHANNEL, conv.thread_ts))
    view = {"id": "V1", "team_id": "T0001", "type": "modal", "callback_id": callback_id,
            "private_metadata": metadata, "state": {"values": values}, "hash": "h",
            "blocks": []}
    payload = {"type": "view_submission", "team": {"id": "T0001", "domain": "desk"},
               "user": {"id": user, "username": "sam", "team_id": "T0001"},
               "api_app_id": "A0001", "token": "legacy", "trigger_id": "1.2.3", "view": view}
    return await desk.slack_post(urlencode({"payload": json.dumps(payload)}),
                                 "application/x-www-form-urlencoded")


def decline_values(reason: str | None, notify: bool) -> dict[str, Any]:
    options = [{"value": "notify", "text": {"type": "plain_text", "text": "x"}}] if notify else []
    return {"reason": {"value": {"type": "plain_text_input", "value": reason}},
            "notify": {"value": {"type": "checkboxes", "selected_options": options}}}


def card_text(desk: Desk, thread: str) -> str:
    root = desk.slack.find(CHANNEL, thread)
    assert root is not None
    return json.dumps(root["blocks"], ensure_ascii=False)


@pytest.mark.parametrize("language", ["en", "fr", "ja"])
async def test_accept_button_tells_the_customer_and_the_card(desk: Desk, language: str) -> None:
    thread = await _open(desk, 501, language)
    assert await click(desk, "conv_accept", 501) == 200
    await desk.settle()
    assert ACK[language] in desk.tg.texts(501)[0]
    assert f"accepted by <@{OPERATOR}>" in card_text(desk, thread)
    conv = await desk.conversation(501)
    assert conv is not None and conv.status is Status.ACTIVE and conv.assignee == OPERATOR


async def test_accept_command_and_double_click_tell_the_customer_once(desk: Desk) -> None:
    thread = await _open(desk, 501)
    await desk.operator_writes(thread, "!accept")
    await click(desk, "conv_accept", 501)
    await click(desk, "conv_accept", 501)
    await desk.settle()
    assert len(desk.tg.texts(501)) == 1


async def test_first_reply_accepts_a_new_conversation(desk: Desk) -> None:
    thread = await _open(desk, 501)
    await desk.operator_writes(thread, "Hi! How can I help?")
    await desk.settle()
    conv = await desk.conversation(501)
    assert conv is not None and conv.status is Status.ACTIVE and conv.assignee == OPERATOR
    assert desk.tg.texts(501) == ["Sam: Hi! How can I help?"]  # no extra acknowledgement
    assert "accepted by" in card_text(desk, thread)


@pytest.mark.parametrize("language", ["en", "fr", "ja"])
async def test_decline_command_with_reason(desk: Desk, language: str) -> None:
    thread = await _open(desk, 501, language)
    await desk.operator_writes(thread, "!decline we do not deliver there")
    await desk.settle()
    (text,) = desk.tg.texts(501)
    assert DECLINED[language] in text and f"{REASON[language]}we do not deliver there" in text
    assert "declined by" in card_text(desk, thread)
    assert "we do not deliver there" in card_text(desk, thread)


@pytest.mark.parametrize("language", ["en", "fr", "ja"])
async def test_decline_reason_reaches_the_customer_as_typed_on_its_own_line(
        desk: Desk, language: str) -> None:
    thread = await _open(desk, 501, language)
    # Slack sends "Sorry: B&B <only>" escaped as below
    await desk.operator_writes(thread, "!decline Sorry: B&amp;B &lt;only&gt;")
    await desk.settle()
    (text,) = desk.tg.texts(501)  # what the customer sees, once Telegram parsed the HTML
    assert text.endswith(f"\n{REASON[language]}Sorry: B&B <only>")
    assert "&amp;amp;" not in card_text(desk, thread)
    assert "Sorry: B&amp;B &lt;only&gt;" in card_text(desk, thread)


async def test_decline_command_without_reason(desk: Desk) -> None:
    thread = await _open(desk, 501)
    await desk.operator_writes(thread, "!decline")
    await desk.settle()
    (text,) = desk.tg.texts(501)
    assert DECLINED["en"] in text and "Reason" not in text


async def test_decline_button_opens_a_modal_and_submission_declines(desk: Desk) -> None:
    thread = await _open(desk, 501)
    assert await click(desk, "conv_decline", 501) == 200
    (opened,) = desk.slack.calls_to("views.open")
    assert opened["trigger_id"] == "1337.42.abcd"
    assert await submit(desk, "conv_decline_modal", 501, decline_values("spam", True),
                        metadata=opened["view"]["private_metadata"]) == 200
    await desk.settle()
    assert "Reason: spam" in desk.tg.texts(501)[0]
    assert "spam" in card_text(desk, thread)


async def test_decline_without_telling_the_customer(desk: Desk) -> None:
    await _open(desk, 501)
    await submit(desk, "conv_decline_modal", 501, decline_values(None, False))
    await desk.settle()
    conv = await desk.conversation(501)
    assert conv is not None and conv.status is Status.DECLINED
    assert desk.tg.texts(501) == []


async def test_declined_customer_writing_again_is_flagged_without_auto_reply(desk: Desk) -> None:
    thread = await _open(desk, 501)
    await desk.operator_writes(thread, "!decline")
    await desk.settle()
    await desk.customer_sends(tg.text_message(501, "but why?"))
    await desk.settle()
    last = desk.slack.thread(CHANNEL, thread)[-1]["text"]
    assert "but why?" in last and "declined" in last
    assert len(desk.tg.texts(501)) == 1  # only the decline notice


@pytest.mark.parametrize("language", ["en", "fr", "ja"])
async def test_reopen_and_close(desk: Desk, language: str) -> None:
    thread = await _open(desk, 501, language)
    await desk.operator_writes(thread, "!decline")
    await desk.operator_writes(thread, "!reopen")
    await desk.settle()
    conv = await desk.conversation(501)
    assert conv is not None and conv.status is Status.ACTIVE
    await desk.operator_writes(thread, "!close")
    await desk.settle()
    conv = await desk.conversation(501)
    assert conv is not None and conv.status is Status.CLOSED
    assert BYE[language] in desk.tg.texts(501)[-1]
    assert "closed by" in card_text(desk, thread)


async def test_non_operators_are_refused_and_nothing_changes(fake_slack, fake_tg, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from storage.sqlite import SqliteStorage

    store = await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'acl.sqlite3'}")
    async with running_desk(store, fake_slack, fake_tg, SLACK_OPERATORS=OPERATOR) as desk:
        thread = await _open(desk, 501)
        await click(desk, "conv_accept", 501, user="UOPS2")
        await desk.operator_writes(thread, "!decline nope", user="UOPS2")
        await desk.settle()
        conv = await desk.conversation(501)
        assert conv is not None and conv.status is Status.NEW
        assert desk.tg.texts(501) == []
        whispers = [c for c in desk.slack.calls_to("chat.postEphemeral") if c["user"] == "UOPS2"]
        assert len(whispers) == 2
