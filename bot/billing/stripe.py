"""Stripe: customers by email or phone, their subscriptions, invoices and balance.

Read-only calls with a secret key or a restricted key (read access to Customers,
Subscriptions, Invoices and Products is enough): ``GET /v1/customers/search``, and
``GET /v1/customers?email=`` where search is not offered; ``GET /v1/customers/{id}``,
``/v1/subscriptions?customer=&status=all``, ``/v1/invoices?customer=``, ``/v1/products?ids[]=``,
every page (``has_more`` / ``starting_after``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.billing import stripe_values as v
from bot.billing.activity import UNPAID, events
from bot.billing.base import BaseBillingProvider, BillingContext, CustomerRef, Invoice, Money
from bot.billing.http import Params, Reply, retry_after, send, text
from bot.errors import PermanentError, RetryableError
from bot.lifecycle.clock import Clock
from bot.rendering import Renderer

DEFAULT_API_BASE = "https://api.stripe.com"
API_VERSION = "2025-03-31.basil"  # the shapes stripe_values reads
PAGE = "100"
MAX_PAGES = 100


def _check_response(reply: Reply) -> None:
    """The one status → error mapping of the Stripe client."""
    if 200 <= reply.status < 300:
        return
    error = reply.body.get("error") or {}
    message = text(error.get("message")) or f"HTTP {reply.status}"
    code = f"http_{reply.status}"
    if reply.status == 429:
        raise RetryableError("Stripe is rate limiting the bot",
                             retry_after=retry_after(reply.headers), code="ratelimited")
    if reply.status in (401, 403):
        raise PermanentError(
            f"Stripe refused the credentials (HTTP {reply.status}): check STRIPE_SECRET_KEY; "
            "a restricted key needs read access to Customers, Subscriptions, Invoices and "
            "Products", code="credentials")
    if reply.status >= 500 or reply.headers.get("Stripe-Should-Retry") == "true":
        raise RetryableError(f"Stripe is unavailable (HTTP {reply.status})", code=code)
    raise PermanentError(f"Stripe refused the request: {message}", code=code)


class StripeBilling(BaseBillingProvider):
    name = "stripe"

    def __init__(self, *, http: aiohttp.ClientSession, secret_key: str, clock: Clock,
                 api_base: str = DEFAULT_API_BASE, renderer: Renderer | None = None) -> None:
        self.http, self.clock = http, clock
        self.api_base = api_base.rstrip("/")
        self.renderer = renderer or Renderer()
        self._headers = {"Authorization": f"Bearer {secret_key}",
                         "Stripe-Version": API_VERSION}

    async def find(self, *, email: str = "", phone: str = "") -> list[CustomerRef]:
        clauses = [f"{field}:{_quoted(value)}"
                   for field, value in (("email", email), ("phone", phone)) if value]
        if not clauses:
            return []
        try:
            found = await self._search(" OR ".join(clauses))
        except PermanentError as exc:
            if exc.code != "http_400" or not email or phone:
                raise
            # Search is not offered everywhere (India); the list filter is exact-match.
            found = await self._list("/v1/customers", [("email", email)])
        return [v.customer_ref(c) for c in found if not c.get("deleted")]

    async def context(self, customer: CustomerRef) -> BillingContext:
        obj = await self._get(f"/v1/customers/{quote(customer.id, safe='')}")
        if obj.get("deleted"):
            raise PermanentError("the customer no longer exists in Stripe", code="not_found")
        subs = await self._list("/v1/subscriptions",
                                [("customer", customer.id), ("status", "all")])
        raw_invoices = await self._list("/v1/invoices", [("customer", customer.id)])
        products = await self._products(set().union(*(v.product_ids(s) for s in subs)))
        today = self.clock.now().date()
        invoices = tuple(sorted((v.invoice(i, today) for i in raw_invoices),
                                key=lambda i: (i.issued_on is not None, i.issued_on),
                                reverse=True))
        subscriptions = tuple(v.subscription(s, products, invoices) for s in subs)
        facts = [f for s, sub in zip(subs, subscriptions, strict=True)
                 for f in v.subscription_facts(s, sub.plan)]
        facts += [f for i in raw_invoices for f in v.invoice_facts(i)]
        balance, credits = _balances(obj, invoices)
        return BillingContext(
            customer=v.customer_ref(obj), balance=balance, credits=credits,
            billing_address=v.address(obj.get("address")),
            shipping_address=v.address((obj.get("shipping") or {}).get("address")),
            subscriptions=subscriptions, invoices=invoices,
            activity=events(facts, self.renderer),
            payment_failed=_failing(subs, raw_invoices))

    async def close(self) -> None:
        """The session is the app's; nothing of ours to close."""

    async def _products(self, ids: set[str]) -> dict[str, str]:
        if not ids:
            return {}
        found = await self._list("/v1/products", [("ids[]", i) for i in sorted(ids)])
        return {str(p["id"]): str(p.get("name") or "") for p in found}

    async def _search(self, query: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        params: list[tuple[str, str]] = [("query", query), ("limit", PAGE)]
        for _ in range(MAX_PAGES):
            body = await self._get("/v1/customers/search", params)
            found += body.get("data") or []
            if not body.get("has_more") or not body.get("next_page"):
                return found
            params = [("query", query), ("limit", PAGE), ("page", str(body["next_page"]))]
        raise PermanentError("Stripe returned too many pages of customers", code="pages")

    async def _list(self, path: str, params: Params) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        cursor: Params = ()
        for _ in range(MAX_PAGES):
            body = await self._get(path, [*params, ("limit", PAGE), *cursor])
            page = body.get("data") or []
            found += page
            if not body.get("has_more") or not page:
                return found
            cursor = (("starting_after", str(page[-1]["id"])),)
        raise PermanentError("Stripe returned too many pages", code="pages")

    async def _get(self, path: str, params: Params = ()) -> dict[str, Any]:
        reply = await send(self.http, "GET", f"{self.api_base}{path}", who="Stripe",
                           params=params, headers=self._headers)
        _check_response(reply)
        return reply.body


def _quoted(value: str) -> str:
    """A search query string value: single-quoted, quotes and backslashes escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _balances(obj: Mapping[str, Any],
              invoices: tuple[Invoice, ...]) -> tuple[Money | None, Money | None]:
    """What they owe: unpaid invoices plus a positive customer balance (Stripe's balance
    is added to the next invoice); a negative balance is credit they have."""
    currency = str(obj.get("currency") or "").upper() or next(
        (i.total.currency for i in invoices), "")
    if not currency:
        return None, None
    balance = int(obj.get("balance") or 0)
    unpaid = sum(i.amount_due.amount for i in invoices
                 if i.status in UNPAID and i.amount_due.currency == currency)
    return Money(unpaid + max(balance, 0), currency), Money(max(-balance, 0), currency)


def _failing(subs: list[dict[str, Any]], invoices: list[dict[str, Any]]) -> bool:
    return any(s.get("status") in v.FAILING for s in subs) or any(
        v.payment_failed(i) for i in invoices)


__all__ = ["DEFAULT_API_BASE", "StripeBilling"]
