"""What the card's billing line says about one provider's customer, and which of several
matches a thread is about: pure rules, tested on their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.billing.base import BillingContext, CustomerRef, Invoice, Money, Subscription

UNPAID = ("open", "overdue")
TROUBLED = ("past_due", "unpaid")
#: the order a subscription is picked for the card line: the live ones first
LIVE = ("active", "trialing", "past_due", "unpaid", "paused")


@dataclass(frozen=True)
class Summary:
    plan: str
    status: str
    renews_on: date | None
    balance: Money | None
    unpaid: int
    overdue: int
    payment_failed: bool
    troubled: bool  # a subscription past due or unpaid

    @property
    def flagged(self) -> bool:
        return bool(self.overdue) or self.payment_failed or self.troubled


def main_subscription(subs: tuple[Subscription, ...]) -> Subscription | None:
    """The live subscription renewing first, else the most recent one."""
    live = [s for s in subs if s.status in LIVE]
    if live:
        return min(live, key=lambda s: (s.renews_on or date.max, LIVE.index(s.status)))
    return max(subs, key=lambda s: s.started_on or date.min, default=None)


def overdue(invoice: Invoice, today: date) -> bool:
    """Overdue by the provider's word, or open past its due date."""
    return invoice.status == "overdue" or (
        invoice.status == "open" and invoice.due_on is not None and invoice.due_on < today)


def invoice_state(invoice: Invoice, today: date) -> str:
    return "overdue" if overdue(invoice, today) else invoice.status


def summarize(ctx: BillingContext, today: date) -> Summary:
    main = main_subscription(ctx.subscriptions)
    unpaid = [i for i in ctx.invoices if i.status in UNPAID]
    return Summary(plan=main.plan if main else "", status=main.status if main else "",
                   renews_on=main.renews_on if main else None, balance=ctx.balance,
                   unpaid=len(unpaid), overdue=sum(overdue(i, today) for i in unpaid),
                   payment_failed=ctx.payment_failed,
                   troubled=any(s.status in TROUBLED for s in ctx.subscriptions))


def pick(matches: list[CustomerRef], chosen: str) -> CustomerRef | None:
    """The match a thread shows: the only one, or the one an operator chose (by id or by
    email) among several; None when there is no match or the choice is still open."""
    if chosen:
        for ref in matches:
            if chosen in (ref.id, ref.email.lower()):
                return ref
    return matches[0] if len(matches) == 1 else None
