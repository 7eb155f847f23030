"""Edits, deletes, buttons and modals act only on the conversation of their own channel
and card: the same ts in another channel, or a button on another message, does nothing."""

from __future__ import annotations

import pytest

from bot.models import CardRef, Status
from bot.slack.interactions import card_metadata
from tests.fakes import tg_updates as tg
from tests.scenarios.harness import CHANNEL, OPERATOR, Desk
from tests.scenarios.test_conversation_actions import click, decline_values, submit

ELSEWHERE = "COTHER"
REFUSAL = "does not belong to this conversation"
pytestmark = pytest.mark.parametrize("desk", ["sqlite", "redis"], indirect=True)


async def _reply(desk: Desk, chat_id: int = 501) -> tuple[str, str]:
    """A conversation with an operator reply delivered: (its thread, the reply's ts)."""
    await desk.customer_sends(tg.text_message(chat_id, "hello"))
    await desk.settle()
    thread = await desk.thread_of(chat_id)
    ts = await desk.operator_writes(thread, "Price is 10 EUR")
    await desk.settle()
    return thread, ts


def refusals(desk: Desk) -> list[tuple[str, str]]:
    """(channel, user) of each private refusal."""
    return [(e["channel"], e["user"]) for e in desk.slack.ephemerals if REFUSAL in e["text"]]


async def test_an_edit_in_another_channel_leaves_the_customers_copy(desk: Desk) -> None:
    thread, ts = await _reply(desk)
    assert await desk.operator_edits(thread, ts, "Price is 99 EUR", channel=ELSEWHERE) == 200
    await desk.settle()
    assert desk.tg.calls_to("editMessageText") == []
    assert desk.tg.texts(501) == ["Sam: Price is 10 EUR"]
    assert await desk.operator_edits(thread, ts, "Price is 12 EUR") == 200  # the real one
    await desk.settle()
    assert desk.tg.texts(501) == ["Sam: Price is 12 EUR"]


async def test_a_delete_in_another_channel_leaves_the_customers_copy(desk: Desk) -> None:
    thread, ts = await _reply(desk)
    assert await desk.operator_deletes(thread, ts, channel=ELSEWHERE) == 200
    await desk.settle()
    assert desk.tg.calls_to("deleteMessage") == []
    assert desk.tg.texts(501) == ["Sam: Price is 10 EUR"]
    assert await desk.operator_deletes(thread, ts) == 200
    await desk.settle()
    assert desk.tg.texts(501) == []


@pytest.mark.parametrize("where", ["another channel", "another message"])
async def test_a_button_off_the_conversations_card_does_nothing(desk: Desk, where: str) -> None:
    thread, _ = await _reply(desk)
    await desk.operator_writes(thread, "!decline")
    await desk.settle()
    sent = desk.tg.texts(501)
    channel = ELSEWHERE if where == "another channel" else CHANNEL
    place = ({"channel": channel} if where == "another channel"
             else {"message_ts": desk.slack.thread(CHANNEL, thread)[-1]["ts"]})
    for action in ("conv_accept", "conv_decline", "lead_create"):
        assert await click(desk, action, 501, **place) == 200
    await desk.settle()
    conv = await desk.conversation(501)
    assert conv is not None and conv.status is Status.DECLINED and conv.lead_id is None
    assert desk.slack.calls_to("views.open") == []
    assert desk.tg.texts(501) == sent
    assert set(refusals(desk)) == {(channel, OPERATOR)}  # told where they clicked
    assert await click(desk, "conv_accept", 501) == 200  # the card's own button still works
    await desk.settle()
    conv = await desk.conversation(501)
    assert conv is not None and conv.status is Status.ACTIVE


async def test_a_modal_of_another_card_does_nothing(desk: Desk) -> None:
    await _reply(desk, 501)
    await _reply(desk, 502)
    other = await desk.conversation(502)
    assert other is not None
    forged = [card_metadata(CardRef(other.id, ELSEWHERE, other.thread_ts)),
              card_metadata(CardRef(other.id, CHANNEL, await desk.thread_of(501))),
              str(other.id)]  # what a modal opened before this release carries
    for metadata in forged:
        assert await submit(desk, "conv_decline_modal", 502, decline_values("spam", True),
                            metadata=metadata) == 200
        assert await submit(desk, "lead_create_modal", 502, {}, metadata=metadata) == 200
    await desk.settle()
    conv = await desk.conversation(502)
    assert conv is not None and conv.status is Status.ACTIVE and conv.lead_id is None
    assert desk.tg.texts(502) == ["Sam: Price is 10 EUR"]
    assert set(refusals(desk)) == {(ELSEWHERE, OPERATOR), (CHANNEL, OPERATOR)}
    assert await submit(desk, "conv_decline_modal", 502, decline_values("spam", True)) == 200
    await desk.settle()
    conv = await desk.conversation(502)
    assert conv is not None and conv.status is Status.DECLINED
