"""Stripe's JSON objects (API version pinned in :mod:`bot.billing.stripe`) to the values of
:mod:`bot.billing.base`. Stripe amounts are already in minor units."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from bot.billing.activity import Fact, invoice_status
from bot.billing.base import Address, CustomerRef, Invoice, Money, Subscription

Obj = Mapping[str, Any]
DASHBOARD = "https://dashboard.stripe.com"
# Stripe's words to the base's; the others (active, trialing, past_due…) are the same.
SUBSCRIPTION_STATUS = {"incomplete_expired": "expired"}
INVOICE_STATUS = {"uncollectible": "overdue"}  # unpaid, and collection has failed
RENEWING = ("active", "trialing", "past_due")
FAILING = ("past_due", "unpaid", "incomplete")


def day(timestamp: object) -> date | None:
    if not isinstance(timestamp, int | float) or isinstance(timestamp, bool):
        return None
    return datetime.fromtimestamp(timestamp, UTC).date()


def customer_ref(obj: Obj) -> CustomerRef:
    test = "" if obj.get("livemode", True) else "/test"
    return CustomerRef(provider="stripe", id=str(obj["id"]), name=obj.get("name") or "",
                       email=obj.get("email") or "",
                       url=f"{DASHBOARD}{test}/customers/{obj['id']}")


def address(obj: Obj | None) -> Address | None:
    if not obj:
        return None
    lines = tuple(str(obj[k]) for k in ("line1", "line2") if obj.get(k))
    found = Address(lines=lines, city=obj.get("city") or "",
                    postal_code=obj.get("postal_code") or "", region=obj.get("state") or "",
                    country=obj.get("country") or "")
    return found if found != Address() else None


def invoice(obj: Obj, today: date) -> Invoice:
    currency = str(obj.get("currency") or "").upper()
    transitions = obj.get("status_transitions") or {}
    due_on = day(obj.get("due_date"))
    word = INVOICE_STATUS.get(str(obj.get("status")), str(obj.get("status")))
    return Invoice(
        id=str(obj["id"]), number=obj.get("number") or "",
        status=invoice_status(word, due_on, today),
        total=Money(int(obj.get("total") or 0), currency),
        amount_due=Money(int(obj.get("amount_remaining") or 0), currency),
        issued_on=day(transitions.get("finalized_at")) or day(obj.get("created")),
        due_on=due_on, url=obj.get("hosted_invoice_url") or "",
        subscription_id=invoice_subscription(obj))


def invoice_subscription(obj: Obj) -> str:
    # 2025-03-31.basil moved it under parent; older versions have it at the top
    details = (obj.get("parent") or {}).get("subscription_details") or {}
    found = details.get("subscription") or obj.get("subscription") or ""
    return str(found.get("id", "") if isinstance(found, Mapping) else found)


def payment_failed(obj: Obj) -> bool:
    return obj.get("status") in ("open", "uncollectible") and bool(
        obj.get("attempted")) and int(obj.get("attempt_count") or 0) > 0


def invoice_facts(obj: Obj) -> list[Fact]:
    number = obj.get("number") or str(obj["id"])
    transitions = obj.get("status_transitions") or {}
    issued = day(transitions.get("finalized_at")) or day(obj.get("created"))
    facts = [Fact(issued, "issued", number),
             Fact(day(transitions.get("paid_at")), "paid", number),
             Fact(day(transitions.get("voided_at")), "voided", number)]
    if payment_failed(obj):
        facts.append(Fact(issued, "payment_failed", number))
    return facts


def items(obj: Obj) -> list[Obj]:
    return list((obj.get("items") or {}).get("data") or [])


def product_ids(obj: Obj) -> set[str]:
    found = {(item.get("price") or {}).get("product") for item in items(obj)}
    return {p for p in found if isinstance(p, str) and p}


def plan_name(obj: Obj, products: Mapping[str, str]) -> str:
    names = []
    for item in items(obj):
        price = item.get("price") or {}
        product = price.get("product")
        if isinstance(product, Mapping):
            product = product.get("id")
        names.append(products.get(str(product)) or price.get("nickname") or str(product))
    return " + ".join(n for n in names if n)


def subscription(obj: Obj, products: Mapping[str, str],
                 invoices: tuple[Invoice, ...]) -> Subscription:
    status = SUBSCRIPTION_STATUS.get(str(obj.get("status")), str(obj.get("status")))
    first = items(obj)[0] if items(obj) else {}
    price = first.get("price") or {}
    currency = str(price.get("currency") or obj.get("currency") or "").upper()
    amount = sum(int((i.get("price") or {}).get("unit_amount") or 0) * int(
        i.get("quantity") or 1) for i in items(obj))
    ending = obj.get("cancel_at_period_end") or obj.get("cancel_at")
    period_end = first.get("current_period_end") or obj.get("current_period_end")
    return Subscription(
        id=str(obj["id"]), plan=plan_name(obj, products), status=status,
        amount=Money(amount, currency), interval=interval(price.get("recurring") or {}),
        started_on=day(obj.get("start_date")),
        renews_on=day(period_end) if status in RENEWING and not ending else None,
        canceled_on=day(obj.get("canceled_at")),
        invoices=tuple(i for i in invoices if i.subscription_id == obj["id"]))


def interval(recurring: Obj) -> str:
    unit, count = str(recurring.get("interval") or ""), int(recurring.get("interval_count") or 1)
    return unit if count == 1 or not unit else f"{count} {unit}s"


def subscription_facts(obj: Obj, plan: str) -> list[Fact]:
    first = items(obj)[0] if items(obj) else {}
    period_end = first.get("current_period_end") or obj.get("current_period_end")
    facts = [Fact(day(obj.get("start_date")), "started", plan),
             Fact(day(obj.get("canceled_at")), "canceled", plan),
             Fact(day(obj.get("ended_at")), "ended", plan)]
    if obj.get("status") in RENEWING and not (obj.get("cancel_at_period_end")
                                             or obj.get("cancel_at")):
        facts.append(Fact(day(period_end), "renews", plan))
    return facts
