"""Zoho Billing's JSON objects to the values of :mod:`bot.billing.base`. Zoho's amounts
are decimals in the currency: converted to minor units by the currency's exponent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.billing.activity import Fact, invoice_status
from bot.billing.base import Address, CustomerRef, Invoice, Money, Subscription
from bot.billing.currency import to_minor

Obj = Mapping[str, Any]
SUBSCRIPTION_STATUS = {
    "live": "active", "non_renewing": "active", "trial": "trialing", "dunning": "past_due",
    "unpaid": "unpaid", "cancelled": "canceled", "cancelled_from_dunning": "canceled",
    "expired": "expired", "trial_expired": "expired", "creation_failed": "incomplete",
    "future": "scheduled", "paused": "paused"}
INVOICE_STATUS = {
    "paid": "paid", "sent": "open", "unpaid": "open", "pending": "open",
    "partially_paid": "open", "overdue": "overdue", "void": "void", "written_off": "void",
    "draft": "draft"}
RENEWING = ("live", "trial", "dunning", "unpaid")
FAILING = ("dunning", "unpaid")


def day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def money(value: object, currency: str) -> Money:
    return Money(to_minor(value, currency), currency)


def customer_ref(obj: Obj) -> CustomerRef:
    return CustomerRef(provider="zoho_billing", id=str(obj["customer_id"]),
                       name=obj.get("display_name") or "", email=obj.get("email") or "")


def address(obj: Obj | None) -> Address | None:
    if not obj:
        return None
    lines = tuple(str(obj[k]) for k in ("street", "street2") if obj.get(k))
    found = Address(lines=lines, city=obj.get("city") or "", postal_code=obj.get("zip") or "",
                    region=obj.get("state") or "", country=obj.get("country") or "")
    return found if found != Address() else None


def currency_of(obj: Obj, default: str) -> str:
    return str(obj.get("currency_code") or default).upper()


def invoice(obj: Obj, default_currency: str, today: date) -> Invoice:
    currency = currency_of(obj, default_currency)
    due_on = day(obj.get("due_date"))
    word = INVOICE_STATUS.get(str(obj.get("status")), str(obj.get("status")))
    return Invoice(
        id=str(obj["invoice_id"]), number=str(obj.get("number") or obj.get("invoice_number")
                                              or ""),
        status=invoice_status(word, due_on, today), total=money(obj.get("total"), currency),
        amount_due=money(obj.get("balance"), currency), issued_on=day(obj.get("invoice_date")),
        due_on=due_on, url=obj.get("invoice_url") or "",
        subscription_id=invoice_subscription(obj))


def invoice_subscription(obj: Obj) -> str:
    if obj.get("subscription_id"):
        return str(obj["subscription_id"])
    linked = obj.get("subscriptions") or obj.get("subscription_ids") or []
    first = linked[0] if linked else ""
    return str(first.get("subscription_id", "") if isinstance(first, Mapping) else first)


def invoice_facts(obj: Obj) -> list[Fact]:
    number = str(obj.get("number") or obj.get("invoice_number") or obj["invoice_id"])
    facts = [Fact(day(obj.get("invoice_date")), "issued", number)]
    if obj.get("status") == "overdue":
        facts.append(Fact(day(obj.get("due_date")), "overdue", number))
    return facts


def plan_name(obj: Obj) -> str:
    plan = obj.get("plan") if isinstance(obj.get("plan"), Mapping) else {}
    return str(obj.get("plan_name") or (plan or {}).get("name") or obj.get("name") or "")


def interval(obj: Obj) -> str:
    unit = str(obj.get("interval_unit") or "").removesuffix("s")
    try:
        count = int(obj.get("interval") or 1)
    except (TypeError, ValueError):
        count = 1
    return unit if count == 1 or not unit else f"{count} {unit}s"


def subscription(obj: Obj, default_currency: str,
                 invoices: tuple[Invoice, ...]) -> Subscription:
    word = str(obj.get("status"))
    return Subscription(
        id=str(obj["subscription_id"]), plan=plan_name(obj),
        status=SUBSCRIPTION_STATUS.get(word, word),
        amount=money(obj.get("amount"), currency_of(obj, default_currency)),
        interval=interval(obj), started_on=_started(obj),
        renews_on=day(obj.get("next_billing_at")) if word in RENEWING else None,
        canceled_on=day(obj.get("cancelled_at") or obj.get("cancelled_date")),
        invoices=tuple(i for i in invoices if i.subscription_id == str(obj["subscription_id"])))


def _started(obj: Obj) -> date | None:
    return day(obj.get("activated_at")) or day(obj.get("start_date")) or day(
        obj.get("created_at"))


def subscription_facts(obj: Obj) -> list[Fact]:
    plan, word = plan_name(obj), str(obj.get("status"))
    facts = [Fact(_started(obj), "started", plan),
             Fact(day(obj.get("cancelled_at") or obj.get("cancelled_date")), "canceled", plan)]
    if word in RENEWING:
        facts.append(Fact(day(obj.get("next_billing_at")), "renews", plan))
    if word in ("expired", "trial_expired"):
        facts.append(Fact(day(obj.get("expires_at")), "ended", plan))
    return facts
