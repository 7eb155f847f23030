"""FakeStripeAPI: the read side of Stripe's API (2025-03-31.basil shapes) on 127.0.0.1.

``StripeBilling(http=…, secret_key=fake.key, api_base=fake.url)``. Lists are newest first
and cut at ``page_size`` whatever ``limit`` asks (Stripe returns "up to limit"), so tests
cross pages with a few objects. Tests add data with ``add_customer`` / ``add_product`` /
``add_subscription`` / ``add_invoice`` (timestamps are unix seconds, amounts minor units).
Methods for faults: ``customers.search``, ``customers.list``, ``customers.retrieve``,
``subscriptions.list``, ``invoices.list``, ``products.list``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.fakes.base import Args, Fault, FakeServer, failed

_CLAUSE = re.compile(r"^(email|phone):'((?:[^'\\]|\\.)*)'$")


def stripe_error(status: int, message: str, *, code: str = "", kind: str = "",
                 headers: dict[str, str] | None = None) -> web.Response:
    error = {"type": kind or "invalid_request_error", "message": message}
    if code:
        error["code"] = code
    return web.json_response({"error": error}, status=status, headers=headers)


class FakeStripeAPI(FakeServer):
    def __init__(self, *, key: str = "sk_test_fake", page_size: int = 2) -> None:
        super().__init__()
        self.key, self.page_size = key, page_size
        self.customers: list[Args] = []
        self.products: list[Args] = []
        self.subscriptions: list[Args] = []
        self.invoices: list[Args] = []
        #: False: search answers 400 as it does where Stripe does not offer it
        self.search_available = True
        self._ids = 0
        get = self.app.router.add_get
        get("/v1/customers/search", self._route("customers.search", self._search))
        get("/v1/customers", self._route("customers.list", self._customers))
        get("/v1/customers/{id}", self._route("customers.retrieve", self._customer))
        get("/v1/subscriptions", self._route("subscriptions.list", self._subscriptions))
        get("/v1/invoices", self._route("invoices.list", self._invoices))
        get("/v1/products", self._route("products.list", self._products))

    # -- data ------------------------------------------------------------------------------

    def _id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}_{self._ids:06d}"

    def add_customer(self, email: str, *, name: str = "", phone: str = "", balance: int = 0,
                     currency: str | None = "usd", address: Args | None = None,
                     shipping: Args | None = None) -> Args:
        obj = {"id": self._id("cus"), "object": "customer", "email": email, "name": name,
               "phone": phone or None, "balance": balance, "currency": currency,
               "address": address, "shipping": shipping, "livemode": False, "delinquent": False}
        self.customers.insert(0, obj)
        return obj

    def add_product(self, name: str) -> str:
        obj = {"id": self._id("prod"), "object": "product", "name": name}
        self.products.insert(0, obj)
        return str(obj["id"])

    def add_subscription(self, customer: str, *, product: str, unit_amount: int,
                         currency: str = "usd", interval: str = "month",
                         status: str = "active", start_date: int, current_period_end: int,
                         canceled_at: int | None = None, quantity: int = 1,
                         cancel_at_period_end: bool = False) -> Args:
        price = {"id": self._id("price"), "object": "price", "currency": currency,
                 "unit_amount": unit_amount, "nickname": None, "product": product,
                 "recurring": {"interval": interval, "interval_count": 1}}
        item = {"id": self._id("si"), "object": "subscription_item", "price": price,
                "quantity": quantity, "current_period_end": current_period_end}
        obj = {"id": self._id("sub"), "object": "subscription", "customer": customer,
               "status": status, "currency": currency, "start_date": start_date,
               "canceled_at": canceled_at, "ended_at": canceled_at if status == "canceled"
               else None, "cancel_at_period_end": cancel_at_period_end, "cancel_at": None,
               "items": {"object": "list", "data": [item], "has_more": False}}
        self.subscriptions.insert(0, obj)
        return obj

    def add_invoice(self, customer: str, *, total: int, status: str = "paid",
                    created: int, currency: str = "usd", subscription: str | None = None,
                    amount_remaining: int | None = None, due_date: int | None = None,
                    attempt_count: int = 0, paid_at: int | None = None) -> Args:
        remaining = amount_remaining if amount_remaining is not None else (
            0 if status in ("paid", "void") else total)
        ident = self._id("in")
        parent = {"type": "subscription_details",
                  "subscription_details": {"subscription": subscription}} if subscription \
            else None
        obj = {"id": ident, "object": "invoice", "customer": customer, "status": status,
               "number": None if status == "draft" else f"ABC-{ident[-4:]}",
               "currency": currency, "total": total, "amount_due": total,
               "amount_remaining": remaining, "created": created, "due_date": due_date,
               "attempted": attempt_count > 0, "attempt_count": attempt_count,
               "hosted_invoice_url": f"https://invoice.stripe.com/i/{ident}",
               "parent": parent,
               "status_transitions": {"finalized_at": None if status == "draft" else created,
                                      "paid_at": paid_at, "voided_at": None,
                                      "marked_uncollectible_at": None}}
        self.invoices.insert(0, obj)
        return obj

    # -- wire ------------------------------------------------------------------------------

    def _route(self, method: str, handler: Callable[[Args], web.StreamResponse]
               ) -> Callable[[web.Request], Any]:
        async def route(request: web.Request) -> web.StreamResponse:
            args: Args = {"query": list(request.query.items()), "id": request.match_info.get(
                "id", ""), "auth": request.headers.get("Authorization", ""),
                "version": request.headers.get("Stripe-Version", "")}

            async def answer(args: Args) -> web.StreamResponse:
                if args["auth"] != f"Bearer {self.key}":
                    return failed(stripe_error(401, "Invalid API Key provided: sk_****"),
                                  "error:auth")
                return handler(args)
            return await self.run(request, method, args, answer)
        return route

    def _page(self, objects: list[Args], args: Args, url: str) -> web.Response:
        query = dict(args["query"])
        limit = min(int(query.get("limit", 10)), self.page_size)
        start = 0
        if "starting_after" in query:
            ids = [o["id"] for o in objects]
            start = ids.index(query["starting_after"]) + 1
        data = objects[start:start + limit]
        return web.json_response({"object": "list", "url": url, "data": data,
                                  "has_more": start + limit < len(objects)})

    def _search(self, args: Args) -> web.StreamResponse:
        if not self.search_available:
            return failed(stripe_error(400, "Search is not available in your region."),
                          "error:search")
        query = dict(args["query"])
        wanted = [_CLAUSE.match(c.strip()) for c in query.get("query", "").split(" OR ")]
        if not all(wanted):
            return failed(stripe_error(400, "Invalid search query"), "error:query")
        pairs = [(m.group(1), re.sub(r"\\(.)", r"\1", m.group(2))) for m in wanted if m]
        found = [c for c in self.customers
                 if any(str(c.get(f) or "").lower() == value.lower() for f, value in pairs)]
        start = int(query.get("page") or 0)
        limit = min(int(query.get("limit", 10)), self.page_size)
        more = start + limit < len(found)
        return web.json_response({"object": "search_result", "url": "/v1/customers/search",
                                  "data": found[start:start + limit], "has_more": more,
                                  "next_page": str(start + limit) if more else None})

    def _customers(self, args: Args) -> web.StreamResponse:
        email = dict(args["query"]).get("email")
        found = [c for c in self.customers if email is None or c["email"] == email]
        return self._page(found, args, "/v1/customers")

    def _customer(self, args: Args) -> web.StreamResponse:
        for customer in self.customers:
            if customer["id"] == args["id"]:
                return web.json_response(customer)
        return failed(stripe_error(404, f"No such customer: '{args['id']}'",
                                   code="resource_missing"), "error:missing")

    def _subscriptions(self, args: Args) -> web.StreamResponse:
        query = dict(args["query"])
        found = [s for s in self.subscriptions if s["customer"] == query.get("customer")
                 and (query.get("status") == "all" or s["status"] != "canceled")]
        return self._page(found, args, "/v1/subscriptions")

    def _invoices(self, args: Args) -> web.StreamResponse:
        customer = dict(args["query"]).get("customer")
        found = [i for i in self.invoices if i["customer"] == customer]
        return self._page(found, args, "/v1/invoices")

    def _products(self, args: Args) -> web.StreamResponse:
        ids = [value for key, value in args["query"] if key == "ids[]"]
        found = [p for p in self.products if not ids or p["id"] in ids]
        return self._page(found, args, "/v1/products")

    def fault_response(self, fault: Fault) -> web.StreamResponse:
        headers: dict[str, str] = {}
        if fault.status == 429:
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            return stripe_error(429, "Request rate limit exceeded.", code="rate_limit",
                                headers=headers)
        if fault.status == 403:
            return stripe_error(403, "The provided key 'rk_test_***' does not have the "
                                "required permissions for this endpoint.")
        return stripe_error(fault.status, fault.error or "An error occurred with our API.",
                            kind="api_error")
