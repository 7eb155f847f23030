"""A billing context as the JSON the store keeps for a short while, and back. Only what
the card and the Customer modal show is written."""

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

Doc = dict[str, Any]


def _money(m: Money | None) -> list[Any] | None:
    return None if m is None else [m.amount, m.currency]


def _to_money(raw: Any) -> Money | None:
    return None if raw is None else Money(int(raw[0]), str(raw[1]))


def _day(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def _to_day(raw: Any) -> date | None:
    return None if raw is None else date.fromisoformat(raw)


def _address(a: Address | None) -> Doc | None:
    if a is None:
        return None
    return {"lines": list(a.lines), "city": a.city, "postal_code": a.postal_code,
            "region": a.region, "country": a.country}


def _to_address(raw: Doc | None) -> Address | None:
    if raw is None:
        return None
    return Address(lines=tuple(raw["lines"]), city=raw["city"], postal_code=raw["postal_code"],
                   region=raw["region"], country=raw["country"])


def ref_doc(ref: CustomerRef) -> Doc:
    return {"provider": ref.provider, "id": ref.id, "name": ref.name, "email": ref.email,
            "url": ref.url}


def to_ref(raw: Doc) -> CustomerRef:
    return CustomerRef(**{k: str(raw[k]) for k in ("provider", "id", "name", "email", "url")})


def _invoice(i: Invoice) -> Doc:
    return {"id": i.id, "number": i.number, "status": i.status, "total": _money(i.total),
            "amount_due": _money(i.amount_due), "issued_on": _day(i.issued_on),
            "due_on": _day(i.due_on), "url": i.url, "subscription_id": i.subscription_id}


def _to_invoice(raw: Doc) -> Invoice:
    total, due = _to_money(raw["total"]), _to_money(raw["amount_due"])
    assert total is not None and due is not None
    return Invoice(id=raw["id"], number=raw["number"], status=raw["status"], total=total,
                   amount_due=due, issued_on=_to_day(raw["issued_on"]),
                   due_on=_to_day(raw["due_on"]), url=raw["url"],
                   subscription_id=raw["subscription_id"])


def _subscription(s: Subscription) -> Doc:
    return {"id": s.id, "plan": s.plan, "status": s.status, "amount": _money(s.amount),
            "interval": s.interval, "started_on": _day(s.started_on),
            "renews_on": _day(s.renews_on), "canceled_on": _day(s.canceled_on),
            "invoices": [_invoice(i) for i in s.invoices]}


def _to_subscription(raw: Doc) -> Subscription:
    amount = _to_money(raw["amount"])
    assert amount is not None
    return Subscription(id=raw["id"], plan=raw["plan"], status=raw["status"], amount=amount,
                        interval=raw["interval"], started_on=_to_day(raw["started_on"]),
                        renews_on=_to_day(raw["renews_on"]),
                        canceled_on=_to_day(raw["canceled_on"]),
                        invoices=tuple(_to_invoice(i) for i in raw["invoices"]))


def context_doc(ctx: BillingContext) -> Doc:
    return {"customer": ref_doc(ctx.customer), "balance": _money(ctx.balance),
            "credits": _money(ctx.credits), "billing_address": _address(ctx.billing_address),
            "shipping_address": _address(ctx.shipping_address),
            "subscriptions": [_subscription(s) for s in ctx.subscriptions],
            "invoices": [_invoice(i) for i in ctx.invoices],
            "activity": [[_day(e.on), e.text] for e in ctx.activity],
            "payment_failed": ctx.payment_failed, "notes": list(ctx.notes)}


def to_context(raw: Doc) -> BillingContext:
    return BillingContext(
        customer=to_ref(raw["customer"]), balance=_to_money(raw["balance"]),
        credits=_to_money(raw["credits"]),
        billing_address=_to_address(raw["billing_address"]),
        shipping_address=_to_address(raw["shipping_address"]),
        subscriptions=tuple(_to_subscription(s) for s in raw["subscriptions"]),
        invoices=tuple(_to_invoice(i) for i in raw["invoices"]),
        activity=tuple(Event(date.fromisoformat(on), text) for on, text in raw["activity"]),
        payment_failed=bool(raw["payment_failed"]), notes=tuple(raw["notes"]))
