"""The Customer modal: four tabs (overview, activity, subscriptions, invoices) made of
buttons at the top, since Block Kit has no tabs; a click updates the modal in place.
Pure builders: texts come from ``templates/slack/billing/customer_modal.txt.j2``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.billing.base import Address, BillingContext, Invoice, Money, Subscription
from bot.billing.money import format_money
from bot.billing.summary import invoice_state
from bot.models import CardRef
from bot.rendering import slack_escape
from bot.slack.blocks import Block, button, mrkdwn
from bot.slack.interactions import card_from_metadata
from bot.slack.modals import View, modal, plain

# Action and callback ids are a contract with the listeners in handlers/slack_billing.py.
CUSTOMER_MODAL = "billing_customer_modal"
TAB = "billing_tab"  # a tab button; its value is the tab
INVOICE_FILTER = "billing_invoice_filter"
TABS = ("overview", "activity", "subscriptions", "invoices")
FILTERS = ("all", "open", "paid", "overdue")
MAX_BLOCKS = 100  # Slack's limit for a modal
TEXT_MAX = 3000


@dataclass(frozen=True)
class ModalState:
    card: CardRef
    tab: str = "overview"
    filter: str = "all"


@dataclass(frozen=True)
class Section:
    """One provider in the modal: its customer's context, or why there is none."""

    label: str
    context: BillingContext | None = None
    note: str = ""  # rendered mrkdwn, shown when there is no context


def state_metadata(state: ModalState) -> str:
    card = state.card
    return json.dumps({"conversation_id": card.conversation_id, "channel": card.slack_channel,
                       "card_ts": card.card_ts, "tab": state.tab, "filter": state.filter})


def state_from_metadata(raw: object) -> ModalState | None:
    card = card_from_metadata(raw)
    if card is None:
        return None
    doc = json.loads(raw) if isinstance(raw, str) and raw.startswith("{") else {}
    tab, kept = doc.get("tab"), doc.get("filter")
    return ModalState(card, tab if tab in TABS else "overview",
                      kept if kept in FILTERS else "all")


def customer_modal(state: ModalState, sections: Sequence[Section], texts: Mapping[str, str],
                   today: date) -> View:
    blocks = [tab_bar(state.tab, texts)]
    if state.tab == "invoices":
        blocks.append(filter_bar(state.filter, texts))
    for section in sections:
        blocks.append({"type": "header", "text": plain(section.label, 150)})
        if section.context is None:
            blocks.append(_text(section.note or texts["not_loaded"]))
        else:
            blocks += tab_blocks(state, section.context, texts, today)
    view = modal(CUSTOMER_MODAL, state.card, texts["title"], blocks[:MAX_BLOCKS],
                 close=texts["close"])
    view["private_metadata"] = state_metadata(state)
    return view


def tab_bar(current: str, texts: Mapping[str, str]) -> Block:
    return {"type": "actions", "block_id": "billing_tabs", "elements": [
        button(texts[f"tab_{tab}"], f"{TAB}_{tab}", tab, "primary" if tab == current else "")
        for tab in TABS]}


def filter_bar(current: str, texts: Mapping[str, str]) -> Block:
    options = [{"text": plain(texts[f"filter_{f}"], 75), "value": f} for f in FILTERS]
    chosen = next(o for o in options if o["value"] == current)
    return {"type": "actions", "block_id": "billing_filter", "elements": [
        {"type": "static_select", "action_id": INVOICE_FILTER, "options": options,
         "initial_option": chosen, "placeholder": plain(texts["filter"], 150)}]}


def tab_blocks(state: ModalState, ctx: BillingContext, texts: Mapping[str, str],
               today: date) -> list[Block]:
    if state.tab == "activity":
        lines = [f"{e.on.isoformat()}  {slack_escape(e.text)}" for e in ctx.activity]
        return [_text("\n".join(lines) or texts["no_activity"])]
    if state.tab == "subscriptions":
        return subscription_blocks(ctx.subscriptions, texts, today)
    if state.tab == "invoices":
        shown = [i for i in ctx.invoices
                 if state.filter == "all" or invoice_state(i, today) == state.filter]
        return [_text("\n".join(invoice_line(i, texts, today) for i in shown)
                      or texts["no_invoices"])]
    return overview_blocks(ctx, texts)


def overview_blocks(ctx: BillingContext, texts: Mapping[str, str]) -> list[Block]:
    who = " · ".join(slack_escape(p) for p in (ctx.customer.name, ctx.customer.email) if p)
    if _linkable(ctx.customer.url):
        who = f"{who} · <{ctx.customer.url}|{texts['open_customer']}>"
    fields = [(texts["credits"], _money(ctx.credits, texts)),
              (texts["balance"], _money(ctx.balance, texts)),
              (texts["billing_address"], _address(ctx.billing_address, texts)),
              (texts["shipping_address"], _address(ctx.shipping_address, texts))]
    blocks: list[Block] = [_text(who)] if who else []
    blocks.append({"type": "section", "fields": [
        mrkdwn(f"*{label}*\n{value}") for label, value in fields]})
    return blocks


def subscription_blocks(subs: Sequence[Subscription], texts: Mapping[str, str],
                        today: date) -> list[Block]:
    if not subs:
        return [_text(texts["no_subscriptions"])]
    blocks: list[Block] = []
    for sub in subs:
        blocks.append(_text(subscription_line(sub, texts)))
        if sub.invoices:
            lines = "\n".join(invoice_line(i, texts, today) for i in sub.invoices)
            blocks.append({"type": "context", "elements": [
                mrkdwn(f"{texts['invoices_of']}:\n{lines}"[:TEXT_MAX])]})
    return blocks


def subscription_line(sub: Subscription, texts: Mapping[str, str]) -> str:
    amount = format_money(sub.amount) + (f"/{sub.interval}" if sub.interval else "")
    parts = [f"*{slack_escape(sub.plan)}*", sub.status.replace("_", " "), amount]
    if sub.renews_on and sub.status not in ("canceled", "expired"):
        parts.append(f"{texts['renews']} {sub.renews_on.isoformat()}")
    if sub.canceled_on:
        parts.append(f"{texts['canceled']} {sub.canceled_on.isoformat()}")
    return " · ".join(parts)


def invoice_line(invoice: Invoice, texts: Mapping[str, str], today: date) -> str:
    state = invoice_state(invoice, today)
    parts = [f"`{slack_escape(invoice.number or invoice.id)}`", state,
             format_money(invoice.total)]
    if state in ("open", "overdue"):
        parts.append(f"{format_money(invoice.amount_due)} {texts['amount_due']}")
        if invoice.due_on:
            parts.append(f"{texts['due']} {invoice.due_on.isoformat()}")
    elif invoice.issued_on:
        parts.append(invoice.issued_on.isoformat())
    if _linkable(invoice.url):
        parts.append(f"<{invoice.url}|{texts['view']}>")
    return (":warning: " if state == "overdue" else "") + " · ".join(parts)


def _linkable(url: str) -> bool:
    return url.startswith("https://") and not any(c in url for c in "<>| ")


def _money(money: Money | None, texts: Mapping[str, str]) -> str:
    return texts["none"] if money is None else format_money(money)


def _address(address: Address | None, texts: Mapping[str, str]) -> str:
    if address is None:
        return texts["none"]
    place = " ".join(p for p in (address.postal_code, address.city) if p)
    parts = [*address.lines, place, address.region, address.country]
    return slack_escape("\n".join(p for p in parts if p)) or texts["none"]


def _text(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text[:TEXT_MAX])}


def parsed(view: Mapping[str, Any]) -> ModalState | None:
    """The state of a modal a click came from."""
    return state_from_metadata(view.get("private_metadata"))
