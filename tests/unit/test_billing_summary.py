"""The card line's figures and the matching rules."""

from __future__ import annotations

from datetime import date

from bot.billing.base import BillingContext, CustomerRef, Invoice, Money, Subscription
from bot.billing.codec import context_doc, to_context
from bot.billing.summary import pick, summarize

TODAY = date(2026, 3, 10)
REF = CustomerRef("stripe", "cus_1", "Ann Lee", "ann@example.com")


def _invoice(status: str, due: date | None = None) -> Invoice:
    return Invoice("in_1", "A-1", status, Money(1000, "USD"), Money(1000, "USD"), due_on=due)


def _sub(status: str, renews: date | None, plan: str = "Pro") -> Subscription:
    return Subscription("sub", plan, status, Money(1200, "USD"), renews_on=renews)


def test_the_live_subscription_and_unpaid_invoices_make_the_line() -> None:
    ctx = BillingContext(REF, balance=Money(1000, "USD"), subscriptions=(
        _sub("canceled", None, "Old"), _sub("active", date(2026, 4, 1))),
        invoices=(_invoice("open", date(2026, 3, 20)), _invoice("paid")))
    summary = summarize(ctx, TODAY)
    assert (summary.plan, summary.status, summary.renews_on) == ("Pro", "active",
                                                                 date(2026, 4, 1))
    assert (summary.unpaid, summary.flagged) == (1, False)


def test_an_open_invoice_past_its_due_date_is_flagged() -> None:
    ctx = BillingContext(REF, invoices=(_invoice("open", date(2026, 3, 1)),))
    assert summarize(ctx, TODAY).flagged


def test_a_failed_payment_or_a_past_due_subscription_is_flagged() -> None:
    assert summarize(BillingContext(REF, payment_failed=True), TODAY).flagged
    past_due = BillingContext(REF, subscriptions=(_sub("past_due", None),))
    assert summarize(past_due, TODAY).flagged


def test_one_match_is_taken_several_wait_for_a_choice() -> None:
    other = CustomerRef("stripe", "cus_2", "Ann (work)", "ann@work.example")
    assert pick([REF], "") == REF
    assert pick([REF, other], "") is None
    assert pick([REF, other], "cus_2") == other
    assert pick([REF, other], "ann@work.example") == other
    assert pick([], "") is None


def test_a_context_survives_the_store_unchanged() -> None:
    ctx = BillingContext(REF, balance=Money(-500, "EUR"), subscriptions=(
        Subscription("s", "Pro", "active", Money(1200, "USD"), "month",
                     renews_on=date(2026, 4, 1), invoices=(_invoice("paid"),)),),
        invoices=(_invoice("open", date(2026, 3, 1)),), payment_failed=True)
    assert to_context(context_doc(ctx)) == ctx
