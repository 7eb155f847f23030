"""The root card of a conversation thread: rendered texts assembled into blocks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.inbox_directory import InboxDirectory
from bot.models import Conversation, Customer, Direction, Lead, Message
from bot.preferences import preference
from bot.rendering import Renderer
from bot.slack.blocks import ACCEPT, CREATE_LEAD, CUSTOMER, DECLINE, Block, card_blocks
from storage.base import BaseStorage

LeadLine = Callable[[Lead, list[str]], str]
CardNote = Callable[[Conversation], Awaitable[str]]
"""A line a feature adds to the card's status line (lifecycle flags, policy limits)."""
CardLines = Callable[[Conversation], Awaitable[list[str]]]
"""Lines of their own under the status (the customer's billing, one per provider)."""


@dataclass(frozen=True)
class Card:
    text: str
    blocks: list[Block]


def channel_label(renderer: Renderer, channel: str) -> str:
    return renderer.render("slack/channel_label.txt", channel=channel)


def action_note(renderer: Renderer, conv: Conversation) -> str:
    action = conv.extra.get("last_action")
    if not action:
        return ""
    when = datetime.fromisoformat(action["at"]).strftime("%Y-%m-%d %H:%M UTC")
    return renderer.render("slack/card_notes.mrkdwn", action=action, action_time=when,
                           decline_reason=conv.extra.get("decline_reason", ""))


def render_card(renderer: Renderer, conv: Conversation, customer: Customer,
                first: Message | None, *, status_notes: list[str] | None = None,
                brand: str = "", lines: tuple[str, ...] = (), customer_button: str = "") -> Card:
    """:param brand: the inbox's brand, shown when the deployment has several
    :param lines: lines of their own under the status
    :param customer_button: the Customer button's label (none: no button)"""
    label = channel_label(renderer, conv.key.channel)
    header = renderer.render("slack/card_header.mrkdwn", customer=customer, channel_label=label,
                             brand=brand)
    status = renderer.render(
        "slack/card_status.mrkdwn", status_label=renderer.render(
            "slack/status_label.txt", status=conv.status.value),
        assignee=conv.assignee, notes=[n for n in status_notes or [] if n])
    preview = "" if first is None else renderer.render(
        "slack/card_preview.mrkdwn", text=first.text,
        attachment_kinds=[a.kind for a in first.attachments])
    accept, decline, lead = renderer.render("slack/button_labels.txt").split("|")
    labels = {ACCEPT: accept, DECLINE: decline, CREATE_LEAD: lead}
    if customer_button:
        labels[CUSTOMER] = customer_button
    blocks = card_blocks(header=header, status=status, preview=preview,
                         conversation_id=conv.id, labels=labels, lines=lines)
    text = renderer.render("slack/card_fallback.txt", customer=customer, channel_label=label,
                           brand=brand)
    return Card(text=text, blocks=blocks)


class CardBuilder:
    """Builds a conversation's card from what is stored now."""

    def __init__(self, *, storage: BaseStorage, renderer: Renderer,
                 lead_line: LeadLine | None = None, inboxes: InboxDirectory | None = None) -> None:
        """:param inboxes: the brand of each conversation's inbox (none: no brand shown)"""
        self.storage, self.renderer, self.lead_line = storage, renderer, lead_line
        self.inboxes = inboxes
        #: more notes for the status line, in order; an empty note is left out
        self.note_sources: list[CardNote] = []
        #: lines of their own under the status, and the Customer button's label (set
        #: together, when a billing provider is on)
        self.line_sources: list[CardLines] = []
        self.customer_button = ""

    async def build(self, conv: Conversation) -> Card:
        customer = await self.storage.get_customer(conv.key) or Customer(conv.key)
        messages = await self.storage.list_messages(conv.id)
        first = next((m for m in messages if m.direction is Direction.IN), None)
        notes = [action_note(self.renderer, conv), await self._lead_note(conv)]
        notes += [await source(conv) for source in self.note_sources]
        brand = self.inboxes.brand(conv) if self.inboxes is not None else ""
        lines: list[str] = []
        for source in self.line_sources:
            lines += await source(conv)
        return render_card(self.renderer, conv, customer, first, status_notes=notes,
                           brand=brand, lines=tuple(lines), customer_button=self.customer_button)

    async def _lead_note(self, conv: Conversation) -> str:
        if conv.lead_id is None or self.lead_line is None:
            return ""
        lead = await self.storage.get_lead(conv.lead_id)
        if lead is None:
            return ""
        return self.lead_line(lead, list(await preference(self.storage, "card_lead_fields")))
