"""The card's billing line for each answer a provider can give."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from bot.billing.base import BillingContext, CustomerRef, Invoice, Money, Subscription
from bot.billing.card import card_line
from bot.billing.codec import context_doc, ref_doc
from bot.billing.service import Lookup
from bot.rendering import Renderer
from tests.support.clock import FakeClock

RENDERER = Renderer()
CLOCK = FakeClock(datetime(2026, 3, 10, 12, tzinfo=UTC))
ANN = CustomerRef("stripe", "cus_1", "Ann <Lee>", "ann@example.com")


def _line(provider: str, **doc: Any) -> str:
    return card_line(RENDERER, Lookup(provider, doc), CLOCK)


def test_a_customer_in_good_standing() -> None:
    ctx = BillingContext(ANN, balance=Money(0, "EUR"), subscriptions=(
        Subscription("s", "Pro", "active", Money(1200, "EUR"), renews_on=date(2026, 4, 1)),))
    assert _line("stripe", state="found", context=context_doc(ctx)) == (
        "*Stripe*: Pro · active · renews 2026-04-01 · balance €0.00 · 0 unpaid invoices")


def test_a_failed_payment_is_flagged_and_said() -> None:
    bill = Invoice("i", "A-1", "open", Money(1200, "USD"), Money(1200, "USD"),
                   due_on=date(2026, 3, 1))
    ctx = BillingContext(ANN, balance=Money(1200, "USD"), invoices=(bill,), payment_failed=True)
    assert _line("zoho_billing", state="found", context=context_doc(ctx)) == (
        ":warning: *Zoho Billing*: no subscription · balance $12.00 · 1 unpaid invoice "
        "(1 overdue) · *payment failed*")


def test_no_match_several_matches_and_an_error() -> None:
    assert _line("stripe", state="none") == "*Stripe*: no match"
    other = CustomerRef("stripe", "cus_2", "Ann", "")
    assert _line("stripe", state="several", choices=[ref_doc(ANN), ref_doc(other)]) == (
        "*Stripe*: 2 matches: `cus_1` Ann &lt;Lee&gt; (ann@example.com), `cus_2` Ann. "
        "Pick one with `!customer <id or email>`")
    assert _line("stripe", state="error", error="Stripe answered 429",
                 retry_after=30.0) == ("*Stripe*: billing data unavailable: Stripe answered "
                                       "429 (rate limited; trying again in 30s)")
