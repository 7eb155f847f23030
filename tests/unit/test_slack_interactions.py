"""Reading which card a click or a modal came from."""

from __future__ import annotations

from typing import Any

import pytest

from bot.models import CardRef, Conversation, ConversationKey, Status
from bot.slack.interactions import card_from_metadata, card_metadata, clicked_card
from tests.support.factories import T0

ROOT = "1700000000.000100"


def body(container: dict[str, Any] | None = None, channel: str | None = "C1") -> dict[str, Any]:
    payload: dict[str, Any] = {"type": "block_actions"}
    if container is not None:
        payload["container"] = container
    if channel is not None:
        payload["channel"] = {"id": channel}
    return payload


def test_a_click_names_the_channel_and_message_it_was_on() -> None:
    clicked = body({"type": "message", "message_ts": ROOT, "channel_id": "C1"})
    assert clicked_card(clicked, {"value": "42"}) == CardRef(42, "C1", ROOT)


def test_a_click_naming_two_channels_names_none() -> None:
    clicked = body({"type": "message", "message_ts": ROOT, "channel_id": "C2"}, channel="C1")
    assert clicked_card(clicked, {"value": "42"}) == CardRef(42, "", ROOT)


def test_a_click_without_a_container_reads_the_message_and_channel() -> None:
    clicked = {**body(), "message": {"ts": ROOT}}
    assert clicked_card(clicked, {"value": "42"}) == CardRef(42, "C1", ROOT)


@pytest.mark.parametrize("value", ["", "abc", "-3", "0", "4.5", None])
def test_a_button_value_that_is_no_id_is_no_card(value: object) -> None:
    assert clicked_card(body(), {"value": value}) is None


def test_metadata_round_trips() -> None:
    card = CardRef(7, "C1", ROOT)
    assert card_from_metadata(card_metadata(card)) == card


def test_a_bare_id_from_an_earlier_release_names_no_card() -> None:
    card = card_from_metadata("7")
    conv = Conversation(id=7, key=ConversationKey("telegram", "1"), status=Status.NEW,
                        created_at=T0, slack_channel="C1", thread_ts=ROOT)
    assert card == CardRef(7, "", "") and card is not None and not card.matches(conv)


@pytest.mark.parametrize("raw", ["", "not-json", "[]", '{"conversation_id": 7}',
                                 '{"conversation_id": "x", "channel": "C1", "card_ts": "1"}',
                                 '{"conversation_id": 7, "channel": 1, "card_ts": "1"}', None])
def test_malformed_metadata_is_no_card(raw: object) -> None:
    assert card_from_metadata(raw) is None


@pytest.mark.parametrize("channel, ts, matches", [
    ("C1", ROOT, True), ("C2", ROOT, False), ("C1", "1700000000.000200", False)])
def test_a_card_matches_only_its_conversations_root(channel: str, ts: str,
                                                    matches: bool) -> None:
    conv = Conversation(id=7, key=ConversationKey("telegram", "1"), status=Status.NEW,
                        created_at=T0, slack_channel="C1", thread_ts=ROOT)
    assert CardRef(7, channel, ts).matches(conv) is matches
    assert not CardRef(8, "C1", ROOT).matches(conv)
