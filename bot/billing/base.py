"""The one interface every billing provider implements, and the values it returns.

Amounts are integers in the currency's minor units (cents; yen have none), as both Stripe
and the card's formatting expect; a provider converts its own representation once, here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Money:
    amount: int  # minor units
    currency: str  # ISO 4217, upper case


@dataclass(frozen=True, slots=True)
class Address:
    lines: tuple[str, ...] = ()
    city: str = ""
    postal_code: str = ""
    region: str = ""
    country: str = ""


@dataclass(frozen=True, slots=True)
class Invoice:
    id: str
    number: str
    status: str  # paid · open · overdue · void · draft (the provider's word mapped to these)
    total: Money
    amount_due: Money
    issued_on: date | None = None
    due_on: date | None = None
    url: str = ""  # the provider's hosted page
    subscription_id: str = ""


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    plan: str
    status: str  # active · trialing · past_due · unpaid · canceled · paused · expired …
    amount: Money  # per billing period
    interval: str = ""  # month · year …
    started_on: date | None = None
    renews_on: date | None = None
    canceled_on: date | None = None
    invoices: tuple[Invoice, ...] = ()


@dataclass(frozen=True, slots=True)
class Event:
    """One line of the customer's subscription history (the seed's "activity" tab)."""

    on: date
    text: str


@dataclass(frozen=True, slots=True)
class CustomerRef:
    """A match in a provider: enough to list it when several match and to link it."""

    provider: str
    id: str
    name: str = ""
    email: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class BillingContext:
    """Everything the card line and the Customer modal show, for one provider's customer."""

    customer: CustomerRef
    balance: Money | None = None  # what they owe (positive) or are owed (negative)
    credits: Money | None = None  # unused credits
    billing_address: Address | None = None
    shipping_address: Address | None = None
    subscriptions: tuple[Subscription, ...] = ()
    invoices: tuple[Invoice, ...] = ()  # all of them, newest first
    activity: tuple[Event, ...] = ()  # newest first
    payment_failed: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)


class BaseBillingProvider(ABC):
    """A billing provider. Every method raises :class:`bot.errors.RetryableError` (429 with
    ``retry_after``, 5xx, network) or :class:`bot.errors.PermanentError` (bad credentials,
    a refused request) on failure, never returns partial data silently."""

    name: str  # "stripe", "zoho_billing"

    @abstractmethod
    async def find(self, *, email: str = "", phone: str = "") -> list[CustomerRef]:
        """Customers matching ``email`` (and ``phone`` where the provider can search it);
        empty when none does."""

    @abstractmethod
    async def context(self, customer: CustomerRef) -> BillingContext:
        """Everything shown for ``customer`` (every page of subscriptions and invoices)."""

    @abstractmethod
    async def close(self) -> None: ...
