"""The Customer modal's Block Kit, built as dicts from fixed values."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.billing.base import (
    Address,
    BillingContext,
    CustomerRef,
    Event,
    Invoice,
    Money,
    Subscription,
)
from bot.models import CardRef
from bot.rendering import Renderer
from bot.slack.billing_blocks import (
    INVOICE_FILTER,
    ModalState,
    Section,
    customer_modal,
    state_from_metadata,
    state_metadata,
)
from bot.slack.modals import parse_texts
from tests.unit.test_modals import assert_slack_accepts

TODAY = date(2026, 3, 10)
CARD = CardRef(7, "COPS", "1700000000.000100")
TEXTS = parse_texts(Renderer().render("slack/billing/customer_modal.txt"))
OPEN = Invoice("in_2", "A-2", "open", Money(120000, "JPY"), Money(120000, "JPY"),
               due_on=date(2026, 3, 1), url="https://pay.example/A-2")
PAID = Invoice("in_1", "A-1", "paid", Money(120000, "JPY"), Money(0, "JPY"),
               issued_on=date(2026, 2, 1), url="javascript:alert(1)")
CTX = BillingContext(
    CustomerRef("zoho_billing", "c1", "Ann <Lee>", "ann@example.com",
                "https://billing.example/customers/c1"),
    balance=Money(12345, "KWD"), credits=None,
    billing_address=Address(("1 Main St",), "Lyon", "69001", country="FR"),
    subscriptions=(Subscription("s1", "Pro", "past_due", Money(1200, "JPY"), "month",
                                renews_on=date(2026, 4, 1), invoices=(OPEN,)),),
    invoices=(OPEN, PAID), activity=(Event(date(2026, 1, 5), "Plan changed to Pro"),))


def _view(tab: str, kept: str = "all", sections: list[Section] | None = None) -> dict[str, Any]:
    return customer_modal(ModalState(CARD, tab, kept),
                          sections if sections is not None else [Section("Zoho Billing", CTX)],
                          TEXTS, TODAY)


def _texts(view: dict[str, Any]) -> list[str]:
    found = []
    for block in view["blocks"]:
        if block["type"] == "header":
            continue
        if "text" in block:
            found.append(block["text"]["text"])
        found += [f["text"] for f in block.get("fields", [])]
        found += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return found


def test_the_tab_bar_marks_the_open_tab_and_the_metadata_keeps_it() -> None:
    view = _view("activity")
    tabs = view["blocks"][0]["elements"]
    assert [(b["action_id"], b.get("style")) for b in tabs] == [
        ("billing_tab_overview", None), ("billing_tab_activity", "primary"),
        ("billing_tab_subscriptions", None), ("billing_tab_invoices", None)]
    assert state_from_metadata(view["private_metadata"]) == ModalState(CARD, "activity")
    assert_slack_accepts(view)


def test_overview_shows_credits_balance_and_addresses() -> None:
    view = _view("overview")
    fields = view["blocks"][3]["fields"]
    assert [f["text"] for f in fields] == [
        "*Unused credits*\nnone", "*Balance*\n12.345 KWD",
        "*Billing address*\n1 Main St\n69001 Lyon\nFR", "*Shipping address*\nnone"]
    assert ("Ann &lt;Lee&gt; · ann@example.com · "
            "<https://billing.example/customers/c1|Open at the provider>") in _texts(view)
    assert view["blocks"][1] == {"type": "header",
                                 "text": {"type": "plain_text", "text": "Zoho Billing"}}
    assert_slack_accepts(view)


def test_subscriptions_list_their_invoices() -> None:
    texts = _texts(_view("subscriptions"))
    assert texts[0] == "*Pro* · past due · ¥1,200/month · renews 2026-04-01"
    assert texts[1].startswith("Invoices:\n:warning: `A-2` · overdue · ¥120,000")


def test_invoices_link_to_the_hosted_page_and_filter_by_state() -> None:
    view = _view("invoices")
    select = view["blocks"][1]["elements"][0]
    assert select["action_id"] == INVOICE_FILTER and select["initial_option"]["value"] == "all"
    (lines,) = _texts(view)
    assert lines.splitlines() == [
        ":warning: `A-2` · overdue · ¥120,000 · ¥120,000 to pay · due 2026-03-01 · "
        "<https://pay.example/A-2|View>",
        "`A-1` · paid · ¥120,000 · 2026-02-01"]  # no link that is not https
    assert _texts(_view("invoices", "paid")) == ["`A-1` · paid · ¥120,000 · 2026-02-01"]
    assert _texts(_view("invoices", "open")) == ["No invoices."]
    assert_slack_accepts(view)


def test_a_provider_without_figures_says_why() -> None:
    view = _view("overview", sections=[
        Section("Stripe", note="*Stripe*: billing data unavailable: 503"), Section("Zoho")])
    assert _texts(view) == ["*Stripe*: billing data unavailable: 503", TEXTS["not_loaded"]]


def test_malformed_metadata_falls_back_to_the_first_tab() -> None:
    raw = state_metadata(ModalState(CARD, "invoices", "paid")).replace("invoices", "x")
    assert state_from_metadata(raw) == ModalState(CARD, "overview", "paid")
    assert state_from_metadata("not json") is None
