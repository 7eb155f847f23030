"""slack-bolt listeners for a conversation card's buttons and the modals they open.

bolt answers Slack only when a listener returns (``process_before_response``), so a
listener's whole run, not just its ``ack()``, must fit in Slack's 3 s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot import loggers
from bot.models import CardRef
from bot.rendering import Renderer
from bot.slack.blocks import ACCEPT, CREATE_LEAD, DECLINE
from bot.slack.events import CardActions
from bot.slack.interactions import card_from_metadata, clicked_card
from bot.slack.modals import (
    DECLINE_MODAL,
    LEAD_MODAL,
    decline_modal,
    decline_texts,
    lead_errors,
    lead_modal,
    lead_texts,
    parse_decline,
    parse_lead,
)
from bot.slack.workspace import SlackWorkspace
from handlers.slack_events import Inject

Payload = Mapping[str, Any]


def register_action_handlers(app: AsyncApp, *, card_actions: CardActions, renderer: Renderer,
                             workspace: SlackWorkspace) -> None:
    """Buttons and modal submissions. Register after ``register_slack_handlers`` and before
    ``register_fallbacks``, whose catch-all listeners would otherwise take these."""
    app.middleware(Inject(card_actions=card_actions, renderer=renderer, workspace=workspace))
    app.action(ACCEPT)(accept)
    app.action(DECLINE)(open_decline)
    app.action(CREATE_LEAD)(open_lead)
    app.view(DECLINE_MODAL)(submit_decline)
    app.view(LEAD_MODAL)(submit_lead)


def clicked(body: Payload, action: Payload, source: str) -> CardRef | None:
    """The card a button was clicked on; None (logged) when the button's value is no id."""
    if (card := clicked_card(body, action)) is None:
        loggers.slack.warning("Ignored %s: malformed conversation id", source)
    return card


def trigger(body: Payload) -> str:
    """The click's trigger_id, which a modal must be opened with within 3 s."""
    return str(body.get("trigger_id") or "")


def submitted(view: Payload, source: str) -> CardRef | None:
    """The card a modal was opened from; None (logged) when its metadata is malformed."""
    if (card := card_from_metadata(view.get("private_metadata"))) is None:
        loggers.slack.warning("Ignored %s: malformed conversation id", source)
    return card


async def accept(ack: AsyncAck, body: Payload, action: Payload, user_id: str,
                 card_actions: CardActions) -> None:
    await ack()
    if (card := clicked(body, action, ACCEPT)) is not None:
        await card_actions.accept(card, user_id)


async def open_decline(ack: AsyncAck, action: Payload, body: Payload, user_id: str,
                       card_actions: CardActions, renderer: Renderer,
                       workspace: SlackWorkspace) -> None:
    await ack()
    if (card := clicked(body, action, DECLINE)) is None:
        return
    if await card_actions.decline_form(card, user_id):
        await workspace.open_modal(trigger(body), decline_modal(card, decline_texts(renderer)),
                                   channel=card.slack_channel)


async def open_lead(ack: AsyncAck, action: Payload, body: Payload, user_id: str,
                    card_actions: CardActions, renderer: Renderer,
                    workspace: SlackWorkspace) -> None:
    await ack()
    if (card := clicked(body, action, CREATE_LEAD)) is None:
        return
    # lead_form must be quick: the trigger_id is already ticking
    if (form := await card_actions.lead_form(card, user_id)) is not None:
        view = lead_modal(form, card, lead_texts(renderer, form))
        await workspace.open_modal(trigger(body), view, channel=card.slack_channel)


async def submit_decline(ack: AsyncAck, view: Payload, user_id: str,
                         card_actions: CardActions) -> None:
    await ack()
    if (card := submitted(view, DECLINE_MODAL)) is not None:
        reason, notify = parse_decline(view)
        await card_actions.decline(card, user_id, reason=reason, notify=notify)


async def submit_lead(ack: AsyncAck, view: Payload, user_id: str, card_actions: CardActions,
                      renderer: Renderer) -> None:
    request = parse_lead(view)
    if errors := lead_errors(request, renderer.render("slack/invalid_email.txt")):
        await ack(response_action="errors", errors=errors)  # keeps the modal open
        return
    await ack()
    if (card := submitted(view, LEAD_MODAL)) is not None:
        await card_actions.create_lead(card, user_id, request)
