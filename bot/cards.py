"""The root card of a conversation thread: rendered texts assembled into blocks."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models import Conversation, Customer, Message
from bot.rendering import Renderer
from bot.slack.blocks import ACCEPT, CREATE_LEAD, DECLINE, Block, card_blocks


@dataclass(frozen=True)
class Card:
    text: str
    blocks: list[Block]


def channel_label(renderer: Renderer, channel: str) -> str:
    return renderer.render("slack/channel_label.txt", channel=channel)


def render_card(renderer: Renderer, conv: Conversation, customer: Customer,
                first: Message | None, *, status_notes: list[str] | None = None) -> Card:
    label = channel_label(renderer, conv.key.channel)
    header = renderer.render("slack/card_header.mrkdwn", customer=customer, channel_label=label)
    status = renderer.render(
        "slack/card_status.mrkdwn", status_label=renderer.render(
            "slack/status_label.txt", status=conv.status.value),
        assignee=conv.assignee, notes=status_notes or [])
    preview = "" if first is None else renderer.render(
        "slack/card_preview.mrkdwn", text=first.text,
        attachment_kinds=[a.kind for a in first.attachments])
    accept, decline, lead = renderer.render("slack/button_labels.txt").split("|")
    blocks = card_blocks(header=header, status=status, preview=preview,
                         conversation_id=conv.id,
                         labels={ACCEPT: accept, DECLINE: decline, CREATE_LEAD: lead})
    text = renderer.render("slack/card_fallback.txt", customer=customer, channel_label=label)
    return Card(text=text, blocks=blocks)
