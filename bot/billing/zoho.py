"""Zoho Billing (formerly Zoho Subscriptions), API v1: customers by email, their
subscriptions, invoices, unused credits and outstanding balance.

``GET {api}/billing/v1/customers?email=``, ``/customers/{id}``,
``/subscriptions?customer_id=&filter_by=SubscriptionStatus.All`` and
``/invoices?customer_id=``, every page (``page`` / ``page_context.has_more_page``), with
``Authorization: Zoho-oauthtoken …`` (:mod:`bot.billing.zoho_auth`) and the organization in
``X-com-zoho-subscriptions-organizationid``. Zoho cannot search customers by phone.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp

from bot.billing import zoho_values as v
from bot.billing.activity import events
from bot.billing.base import BaseBillingProvider, BillingContext, CustomerRef, Money
from bot.billing.http import Params, Reply, retry_after, send, text
from bot.billing.zoho_auth import ZohoToken
from bot.errors import PermanentError, RetryableError
from bot.lifecycle.clock import Clock
from bot.rendering import Renderer

DEFAULT_API_BASE = "https://www.zohoapis.com"
PER_PAGE = "200"
MAX_PAGES = 100


class TokenRefused(PermanentError):
    """HTTP 401: the access token is invalid or expired (refreshed once, then final)."""


def _check_response(reply: Reply) -> None:
    """The one status → error mapping of the Zoho Billing client."""
    message = text(reply.body.get("message")) or f"HTTP {reply.status}"
    if reply.status == 401:
        raise TokenRefused(
            "Zoho Billing refused the credentials (HTTP 401): check ZOHO_CLIENT_ID, "
            "ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN and its ZohoSubscriptions scopes",
            code="credentials")
    if reply.status == 403:
        raise PermanentError(
            "Zoho Billing refused the credentials (HTTP 403): the refresh token's user has no "
            "access to ZOHO_BILLING_ORGANIZATION_ID or lacks a read scope", code="credentials")
    if reply.status == 429:
        raise RetryableError("Zoho Billing is rate limiting the bot",
                             retry_after=retry_after(reply.headers), code="ratelimited")
    if reply.status >= 500:
        raise RetryableError(f"Zoho Billing is unavailable (HTTP {reply.status})",
                             code=f"http_{reply.status}")
    if reply.status >= 300 or reply.body.get("code") != 0:
        raise PermanentError(f"Zoho Billing refused the request: {message}",
                             code=f"http_{reply.status}")


class ZohoBilling(BaseBillingProvider):
    name = "zoho_billing"

    def __init__(self, *, http: aiohttp.ClientSession, token: ZohoToken, organization_id: str,
                 clock: Clock, api_base: str = DEFAULT_API_BASE,
                 renderer: Renderer | None = None) -> None:
        self.http, self.token, self.clock = http, token, clock
        self.api = f"{api_base.rstrip('/')}/billing/v1"
        self.organization_id = organization_id
        self.renderer = renderer or Renderer()

    async def find(self, *, email: str = "", phone: str = "") -> list[CustomerRef]:
        if not email:
            return []
        found = await self._list("/customers", "customers", [("email", email)])
        # the filter is Zoho's; keep exact matches only, whatever it considers a match
        wanted = email.strip().lower()
        return [v.customer_ref(c) for c in found
                if str(c.get("email") or "").strip().lower() == wanted]

    async def context(self, customer: CustomerRef) -> BillingContext:
        path = f"/customers/{quote(customer.id, safe='')}"
        obj = (await self._get(path)).get("customer") or {}
        currency = v.currency_of(obj, "")
        by_customer = [("customer_id", customer.id)]
        subs = await self._list("/subscriptions", "subscriptions",
                                [*by_customer, ("filter_by", "SubscriptionStatus.All")])
        raw_invoices = await self._list("/invoices", "invoices", by_customer)
        today = self.clock.now().date()
        invoices = tuple(sorted((v.invoice(i, currency, today) for i in raw_invoices),
                                key=lambda i: (i.issued_on is not None, i.issued_on),
                                reverse=True))
        facts = [f for s in subs for f in v.subscription_facts(s)]
        facts += [f for i in raw_invoices for f in v.invoice_facts(i)]
        return BillingContext(
            customer=v.customer_ref({**obj, "customer_id": customer.id}),
            balance=self._amount(obj, ("outstanding", "outstanding_receivable_amount"),
                                 currency),
            credits=self._amount(obj, ("unused_credits",), currency),
            billing_address=v.address(obj.get("billing_address")),
            shipping_address=v.address(obj.get("shipping_address")),
            subscriptions=tuple(v.subscription(s, currency, invoices) for s in subs),
            invoices=invoices, activity=events(facts, self.renderer),
            payment_failed=any(s.get("status") in v.FAILING for s in subs))

    async def close(self) -> None:
        """The session is the app's; nothing of ours to close."""

    @staticmethod
    def _amount(obj: dict[str, Any], keys: tuple[str, ...], currency: str) -> Money | None:
        present = [obj[k] for k in keys if obj.get(k) is not None]
        return v.money(present[0], currency) if present and currency else None

    async def _list(self, path: str, key: str, params: Params) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            body = await self._get(path, [*params, ("page", str(page)),
                                          ("per_page", PER_PAGE)])
            found += body.get(key) or []
            if not (body.get("page_context") or {}).get("has_more_page"):
                return found
        raise PermanentError("Zoho Billing returned too many pages", code="pages")

    async def _get(self, path: str, params: Params = ()) -> dict[str, Any]:
        token = await self.token.get()
        try:
            return await self._call(path, params, token)
        except TokenRefused:
            # expired or revoked early: one new token, one more try
            return await self._call(path, params, await self.token.refresh(token))

    async def _call(self, path: str, params: Params, token: str) -> dict[str, Any]:
        headers = {"Authorization": f"Zoho-oauthtoken {token}",
                   "X-com-zoho-subscriptions-organizationid": self.organization_id}
        reply = await send(self.http, "GET", f"{self.api}{path}", who="Zoho Billing",
                           params=params, headers=headers)
        _check_response(reply)
        return reply.body
