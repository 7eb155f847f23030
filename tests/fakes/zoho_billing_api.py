"""FakeZohoBillingAPI: Zoho Billing API v1 (read side) and the accounts server's token
endpoint, on one 127.0.0.1 port (use ``fake.url`` for both ``api_base`` and
``accounts_url``).

Tokens come from ``POST /oauth/v2/token`` (refresh-token grant); :meth:`expire_tokens`
makes every issued one invalid, as Zoho does after an hour. Lists are cut at ``page_size``
whatever ``per_page`` asks. Amounts are decimals in the currency, as Zoho sends them.
Methods for faults: ``token``, ``customers.list``, ``customers.retrieve``,
``subscriptions.list``, ``invoices.list``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.fakes.base import Args, Fault, FakeServer, failed

ORG_HEADER = "X-com-zoho-subscriptions-organizationid"


def zoho_error(status: int, code: int, message: str,
               headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"code": code, "message": message}, status=status,
                             headers=headers)


class FakeZohoBillingAPI(FakeServer):
    def __init__(self, *, organization_id: str = "10234695", client_id: str = "1000.CLIENT",
                 client_secret: str = "zoho-secret", refresh_token: str = "1000.refresh",
                 page_size: int = 2, token_lifetime: int = 3600) -> None:
        super().__init__()
        self.organization_id, self.client_id = organization_id, client_id
        self.client_secret, self.refresh_token = client_secret, refresh_token
        self.page_size, self.token_lifetime = page_size, token_lifetime
        self.valid_tokens: set[str] = set()
        self.issued = 0
        self.customers: list[Args] = []
        self.subscriptions: list[Args] = []
        self.invoices: list[Args] = []
        self._ids = 903000000000000
        self.app.router.add_post("/oauth/v2/token", self._token)
        get = self.app.router.add_get
        get("/billing/v1/customers", self._route("customers.list", self._customers))
        get("/billing/v1/customers/{id}", self._route("customers.retrieve", self._customer))
        get("/billing/v1/subscriptions", self._route("subscriptions.list", self._subscriptions))
        get("/billing/v1/invoices", self._route("invoices.list", self._invoices))

    def expire_tokens(self) -> None:
        self.valid_tokens.clear()

    # -- data ------------------------------------------------------------------------------

    def _id(self) -> str:
        self._ids += 1
        return str(self._ids)

    def add_customer(self, email: str, *, display_name: str = "", currency_code: str = "USD",
                     unused_credits: float = 0, outstanding: float = 0,
                     billing_address: Args | None = None,
                     shipping_address: Args | None = None) -> Args:
        obj = {"customer_id": self._id(), "display_name": display_name, "email": email,
               "status": "active", "currency_code": currency_code,
               "unused_credits": unused_credits, "outstanding": outstanding,
               "outstanding_receivable_amount": outstanding,
               "billing_address": billing_address or {}, "shipping_address":
               shipping_address or {}}
        self.customers.append(obj)
        return obj

    def add_subscription(self, customer_id: str, *, plan_name: str, amount: float,
                         status: str = "live", currency_code: str = "USD",
                         interval_unit: str = "months", activated_at: str,
                         next_billing_at: str = "", cancelled_at: str = "",
                         expires_at: str = "") -> Args:
        obj = {"subscription_id": self._id(), "customer_id": customer_id,
               "name": f"Product-{plan_name}", "plan_name": plan_name, "status": status,
               "amount": amount, "currency_code": currency_code, "interval": 1,
               "interval_unit": interval_unit, "activated_at": activated_at,
               "created_at": activated_at, "next_billing_at": next_billing_at,
               "cancelled_at": cancelled_at, "expires_at": expires_at}
        self.subscriptions.append(obj)
        return obj

    def add_invoice(self, customer_id: str, *, total: float, status: str = "paid",
                    invoice_date: str, due_date: str = "", balance: float | None = None,
                    currency_code: str = "USD", subscription_id: str = "") -> Args:
        ident = self._id()
        obj = {"invoice_id": ident, "number": f"INV-{ident[-5:]}", "status": status,
               "invoice_date": invoice_date, "due_date": due_date or invoice_date,
               "customer_id": customer_id, "total": total,
               "balance": balance if balance is not None else (
                   0 if status in ("paid", "void") else total),
               "currency_code": currency_code,
               "invoice_url": f"https://billing.zoho.com/portal/inv/{ident}",
               "subscriptions": [{"subscription_id": subscription_id}] if subscription_id
               else []}
        self.invoices.append(obj)
        return obj

    # -- wire ------------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.StreamResponse:
        form = {**request.query, **(await request.post())}
        args: Args = {"form": {k: str(v) for k, v in form.items() if k != "client_secret"}}

        async def grant(_: Args) -> web.StreamResponse:
            if (form.get("grant_type"), form.get("client_id"), form.get("client_secret"),
                    form.get("refresh_token")) != ("refresh_token", self.client_id,
                                                   self.client_secret, self.refresh_token):
                return failed(web.json_response({"error": "invalid_code"}), "error:grant")
            self.issued += 1
            token = f"1000.access{self.issued}"
            self.valid_tokens.add(token)
            return web.json_response({"access_token": token, "api_domain": str(self.url),
                                      "token_type": "Bearer",
                                      "expires_in": self.token_lifetime})
        return await self.run(request, "token", args, grant)

    def _route(self, method: str, handler: Callable[[Args], web.StreamResponse]
               ) -> Callable[[web.Request], Any]:
        async def route(request: web.Request) -> web.StreamResponse:
            args: Args = {"query": dict(request.query), "id": request.match_info.get("id", ""),
                          "auth": request.headers.get("Authorization", ""),
                          "org": request.headers.get(ORG_HEADER, "")}

            async def answer(args: Args) -> web.StreamResponse:
                token = str(args["auth"]).removeprefix("Zoho-oauthtoken ")
                if token not in self.valid_tokens:
                    return failed(zoho_error(401, 57, "You are not authorized to perform "
                                             "this operation"), "error:token")
                if args["org"] != self.organization_id:
                    return failed(zoho_error(400, 6041, "Invalid organization"), "error:org")
                return handler(args)
            return await self.run(request, method, args, answer)
        return route

    def _page(self, key: str, objects: list[Args], args: Args) -> web.Response:
        page = int(args["query"].get("page", 1))
        per_page = min(int(args["query"].get("per_page", 200)), self.page_size)
        start = (page - 1) * per_page
        return web.json_response({
            "code": 0, "message": "success", key: objects[start:start + per_page],
            "page_context": {"page": page, "per_page": per_page,
                             "has_more_page": start + per_page < len(objects)}})

    def _customers(self, args: Args) -> web.StreamResponse:
        email = args["query"].get("email")
        found = [c for c in self.customers if email is None or c["email"] == email]
        return self._page("customers", found, args)

    def _customer(self, args: Args) -> web.StreamResponse:
        for customer in self.customers:
            if customer["customer_id"] == args["id"]:
                return web.json_response({"code": 0, "message": "success",
                                          "customer": customer})
        return failed(zoho_error(400, 3004, "Please enter a valid reference for the "
                                 "customer"), "error:missing")

    def _of_customer(self, objects: list[Args], args: Args) -> list[Args]:
        return [o for o in objects if o["customer_id"] == args["query"].get("customer_id")]

    def _subscriptions(self, args: Args) -> web.StreamResponse:
        found = self._of_customer(self.subscriptions, args)
        if args["query"].get("filter_by", "SubscriptionStatus.All") != "SubscriptionStatus.All":
            found = [s for s in found if s["status"] == "live"]
        return self._page("subscriptions", found, args)

    def _invoices(self, args: Args) -> web.StreamResponse:
        return self._page("invoices", self._of_customer(self.invoices, args), args)

    def fault_response(self, fault: Fault) -> web.StreamResponse:
        headers: dict[str, str] = {}
        if fault.status == 429:
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            return zoho_error(429, 44, "You have made too many requests. Please try again "
                              "after some time.", headers)
        return zoho_error(fault.status, 1, fault.error or "Internal error")
