"""Which conversation card a button click or a modal came from: pure readers of Slack's
interactivity payloads, and the modal metadata that carries the card along."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.models import CardRef

Payload = Mapping[str, Any]


def conversation_id(raw: object) -> int | None:
    """The positive id a button value carries; None when malformed."""
    try:
        value = int(raw) if isinstance(raw, str) else 0
    except ValueError:
        return None
    return value if value > 0 else None


def _mapping(value: object) -> Payload:
    return value if isinstance(value, Mapping) else {}


def _click_channel(body: Payload) -> str:
    """The channel of the clicked message; empty when the payload names two."""
    named = {str(channel) for channel in (_mapping(body.get("container")).get("channel_id"),
                                          _mapping(body.get("channel")).get("id")) if channel}
    return named.pop() if len(named) == 1 else ""


def clicked_card(body: Payload, action: Payload) -> CardRef | None:
    """The card a button was clicked on: the conversation id in the button's value, and
    the channel and ts of the message the button is on. None when the value is no id."""
    conv_id = conversation_id(action.get("value"))
    if conv_id is None:
        return None
    ts = (_mapping(body.get("container")).get("message_ts")
          or _mapping(body.get("message")).get("ts") or "")
    return CardRef(conv_id, _click_channel(body), str(ts))


def card_metadata(card: CardRef) -> str:
    """A modal's ``private_metadata``: the card it was opened from."""
    return json.dumps({"conversation_id": card.conversation_id,
                       "channel": card.slack_channel, "card_ts": card.card_ts})


def card_from_metadata(raw: object) -> CardRef | None:
    """The card in a submitted modal's ``private_metadata``. A bare id (a modal opened by
    an earlier release) names no card, so matches no conversation; None when malformed."""
    if (conv_id := conversation_id(raw)) is not None:
        return CardRef(conv_id, "", "")
    try:
        doc = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    conv_id = conversation_id(str(doc.get("conversation_id")))
    channel, card_ts = doc.get("channel"), doc.get("card_ts")
    if conv_id is None or not isinstance(channel, str) or not isinstance(card_ts, str):
        return None
    return CardRef(conv_id, channel, card_ts)
