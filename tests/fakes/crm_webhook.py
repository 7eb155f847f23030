"""A CRM webhook receiver on 127.0.0.1: checks each POST's signature and records it.

``calls["webhook"]`` holds the accepted deliveries as ``{"headers", "body", "json"}``;
``fail_next("webhook", status=500)`` / ``drop_next("webhook")`` make the next attempts fail;
a request with a bad signature is answered 401 and filed under ``faults``.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from aiohttp import web

from bot.crm.webhook import sign
from tests.fakes.base import Args, Fault, FakeServer, failed

METHOD = "webhook"


class FakeCrmWebhook(FakeServer):
    mutating = frozenset({METHOD})

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret
        self.app.router.add_post("/hook", self._hook)

    @property
    def hook_url(self) -> str:
        return f"{self.url}hook"

    @property
    def deliveries(self) -> list[Args]:
        return self.calls_to(METHOD)

    def events(self) -> list[str]:
        return [d["json"]["event"] for d in self.deliveries]

    def verified(self, headers: dict[str, str], body: str) -> bool:
        expected = sign(self.secret, headers.get("X-Bot-Timestamp", ""), body)
        return hmac.compare_digest(expected, headers.get("X-Bot-Signature", ""))

    async def _hook(self, request: web.Request) -> web.StreamResponse:
        body = await request.text()
        args: Args = {"headers": dict(request.headers), "body": body}
        return await self.run(request, METHOD, args, self._accept)

    async def _accept(self, args: Args) -> web.StreamResponse:
        if not self.verified(args["headers"], args["body"]):
            return failed(web.json_response({"error": "bad signature"}, status=401),
                          "error:signature")
        args["json"] = json.loads(args["body"])
        return web.json_response({"ok": True})

    def fault_response(self, fault: Fault) -> web.StreamResponse:
        headers: dict[str, str] = {}
        if fault.status == 429:
            headers["Retry-After"] = str(fault.retry_after if fault.retry_after is not None else 1)
        body: dict[str, Any] = {"error": fault.error or f"HTTP {fault.status}"}
        return web.json_response(body, status=fault.status, headers=headers)
