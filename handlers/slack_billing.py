"""slack-bolt listeners for the Customer button and the tabs of the modal it opens."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot import loggers
from bot.billing.panel import CustomerPanel
from bot.slack.billing_blocks import FILTERS, INVOICE_FILTER, TAB, TABS, ModalState, parsed
from bot.slack.blocks import CUSTOMER
from bot.slack.workspace import SlackWorkspace
from handlers.slack_actions import clicked, trigger
from handlers.slack_events import Inject

Payload = Mapping[str, Any]


def register_billing_handlers(app: AsyncApp, *, panel: CustomerPanel,
                              workspace: SlackWorkspace) -> None:
    """Register before ``register_fallbacks``, whose catch-all listeners would take these."""
    app.middleware(Inject(billing_panel=panel, workspace=workspace))
    app.action(CUSTOMER)(open_customer)
    for tab in TABS:
        app.action(f"{TAB}_{tab}")(switch_tab)
    app.action(INVOICE_FILTER)(filter_invoices)


async def open_customer(ack: AsyncAck, body: Payload, action: Payload, user_id: str,
                        billing_panel: CustomerPanel, workspace: SlackWorkspace) -> None:
    await ack()
    if (card := clicked(body, action, CUSTOMER)) is None:
        return
    if (view := await billing_panel.customer_view(ModalState(card), user_id)) is not None:
        await workspace.open_modal(trigger(body), view, channel=card.slack_channel)


async def switch_tab(ack: AsyncAck, body: Payload, action: Payload, user_id: str,
                     billing_panel: CustomerPanel, workspace: SlackWorkspace) -> None:
    await ack()
    tab = str(action.get("value") or "")
    await _update(body, user_id, billing_panel, workspace, tab=tab)


async def filter_invoices(ack: AsyncAck, body: Payload, action: Payload, user_id: str,
                          billing_panel: CustomerPanel, workspace: SlackWorkspace) -> None:
    await ack()
    chosen = str((action.get("selected_option") or {}).get("value") or "")
    await _update(body, user_id, billing_panel, workspace, kept=chosen)


async def _update(body: Payload, user: str, panel: CustomerPanel, workspace: SlackWorkspace,
                  *, tab: str = "", kept: str = "") -> None:
    view: Payload = body.get("view") or {}
    if (state := parsed(view)) is None:
        loggers.slack.warning("Ignored a Customer modal click: malformed metadata")
        return
    state = replace(state, tab=tab if tab in TABS else state.tab,
                    filter=kept if kept in FILTERS else state.filter)
    if (new := await panel.customer_view(state, user)) is not None:
        await workspace.update_modal(str(view.get("id") or ""), new,
                                     hash=str(view.get("hash") or ""),
                                     channel=state.card.slack_channel)
