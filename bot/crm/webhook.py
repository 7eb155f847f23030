"""``CRM=webhook``: leads stay in the bot's store and every lead event is POSTed to a URL.

The contract a receiver relies on
---------------------------------
One ``POST CRM_WEBHOOK_URL`` per event, sent through the durable outbox (so at least once,
in order per lead, retried with backoff while the receiver is down).

Events: ``lead.created``, ``lead.updated`` (the lead's fields changed), ``lead.note``
(an entry was appended to the lead's activity feed: a note, the transcript, a message).

Body (UTF-8 JSON)::

    {"event": "lead.created", "sent_at": "2026-11-02T09:00:00+00:00",
     "lead": {"id": 12, "conversation_id": 7, "owner": "U2", "status": "New", ...,
              "activity": [...], "customer": {...}},
     "note": {...}}            # lead.note only: the entry just appended

Headers:

- ``Content-Type: application/json``
- ``X-Bot-Event``: the event name
- ``X-Bot-Delivery``: an id unique per event and stable across retries; dedupe on it
- ``X-Bot-Timestamp``: unix seconds when this attempt was signed
- ``X-Bot-Signature``: ``sha256=<hex>``, the HMAC-SHA256 of ``f"{timestamp}.{body}"``
  keyed by ``CRM_WEBHOOK_SECRET`` (:func:`sign`). Compare in constant time and reject
  old timestamps to stop replays.

Answers: any 2xx is success. 429 (``Retry-After`` honoured) and 5xx, timeouts and network
errors are retried; any other status fails the delivery for good and the operators are
told in the conversation's thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from typing import Any

import aiohttp

from bot import jobs
from bot.crm.base import Activity, lead_json
from bot.crm.builtin import BuiltinCrm
from bot.errors import DeliveryError, PermanentError, RetryableError
from bot.lifecycle.clock import Clock
from bot.models import Job, Lead, NewJob
from bot.outbox import Handler, Outbox
from storage.base import BaseStorage

TIMEOUT = aiohttp.ClientTimeout(total=15)


def sign(secret: str, timestamp: str, body: str) -> str:
    """:return: the ``X-Bot-Signature`` value, ``sha256=<hex>``"""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def retry_after(headers: Mapping[str, str]) -> float | None:
    try:
        return max(0.0, float(headers["Retry-After"]))
    except (KeyError, ValueError):
        return None  # absent, or an HTTP date: the backoff policy decides


def check_response(status: int, headers: Mapping[str, str]) -> None:
    """The one status → error mapping of the webhook client."""
    if 200 <= status < 300:
        return
    if status == 429:
        raise RetryableError("the CRM webhook is rate limiting the bot",
                             retry_after=retry_after(headers), code="ratelimited")
    if status >= 500:
        raise RetryableError(f"the CRM webhook is unavailable (HTTP {status})",
                             code=f"http_{status}")
    raise PermanentError(f"the CRM webhook refused the lead (HTTP {status})",
                         code=f"http_{status}")


def transport_error(exc: Exception) -> DeliveryError:
    # Never str(exc): aiohttp messages carry the URL, which may hold a token.
    if isinstance(exc, asyncio.TimeoutError):
        return RetryableError("the CRM webhook did not answer in time", code="timeout")
    return RetryableError("could not reach the CRM webhook (network error)", code="network")


class WebhookCrm(BuiltinCrm):
    """Leads in the store, and each lead event queued for ``url`` as a ``crm.webhook`` job."""

    def __init__(self, *, storage: BaseStorage, outbox: Outbox, http: aiohttp.ClientSession,
                 clock: Clock, url: str, secret: str) -> None:
        super().__init__(storage, clock=clock)
        self.outbox, self.http, self.url, self.secret = outbox, http, url, secret

    def handlers(self) -> Mapping[str, Handler]:
        return {jobs.CRM_WEBHOOK: self.deliver}

    async def create_lead(self, lead: Lead) -> tuple[Lead, bool]:
        stored, created = await super().create_lead(lead)
        if created:
            await self._emit("lead.created", stored, "1")
        return stored, created

    async def update_lead(self, lead: Lead) -> None:
        stored = await self._merge_fields(lead)
        # Updates have no natural sequence number; two at once must not dedupe each other.
        await self._emit("lead.updated", stored, uuid.uuid4().hex[:16])

    async def add_activity(self, lead: Lead, entry: Activity) -> None:
        stored = await self._append(lead, entry)
        # The entry's position in the feed: unique per lead, and the same on a retry.
        await self._emit("lead.note", stored, str(len(stored.activity)), note=entry)

    async def _emit(self, event: str, lead: Lead, n: str, **extra: Any) -> None:
        payload = {"conversation_id": lead.conversation_id, "event": event,
                   "lead": lead_json(lead), **extra}
        job = NewJob(jobs.CRM_WEBHOOK, payload, f"crm:{event}:{lead.id}:{n}",
                     f"crm:lead:{lead.id}")
        await self.storage.enqueue([job], now=self.clock.now().timestamp())
        self.outbox.notify()

    async def deliver(self, job: Job) -> None:
        """Outbox handler: POST one event; raise for the outbox to retry or give up."""
        body = self._body(job.payload)
        try:
            async with self.http.post(self.url, data=body.encode(), timeout=TIMEOUT,
                                      headers=self._headers(job, body),
                                      allow_redirects=False) as response:
                await response.read()
                check_response(response.status, response.headers)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise transport_error(exc) from exc

    def _body(self, payload: Mapping[str, Any]) -> str:
        body = {"event": payload["event"], "sent_at": self.clock.now().isoformat(),
                "lead": payload["lead"]}
        if "note" in payload:
            body["note"] = payload["note"]
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))

    def _headers(self, job: Job, body: str) -> dict[str, str]:
        timestamp = str(int(self.clock.now().timestamp()))
        return {"Content-Type": "application/json", "X-Bot-Event": job.payload["event"],
                "X-Bot-Delivery": job.dedupe_key, "X-Bot-Timestamp": timestamp,
                "X-Bot-Signature": sign(self.secret, timestamp, body)}
