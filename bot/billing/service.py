"""The customer's billing context in the thread: looked up in every configured provider
when the conversation knows an email or a phone, kept in the store for a short while, and
turned into the card's lines.

Each provider's answer for a conversation is one cache entry (``billing:<conv>:<provider>``)
holding only what is shown. It is looked up again, through the outbox, once it is older
than ``refresh_after`` and the thread is active; it is dropped ``keep`` seconds after it
was written. Nothing from a provider is logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import jobs
from bot.billing.base import BaseBillingProvider, BillingContext, CustomerRef
from bot.billing.codec import context_doc, ref_doc, to_context, to_ref
from bot.billing.summary import pick
from bot.errors import DeliveryError, RetryableError
from bot.lifecycle.clock import Clock
from bot.models import Conversation, Customer, Job, Message
from bot.outbox import Finish, Handler, Outbox
from storage.base import BaseStorage

REFRESH_AFTER = 300.0  # seconds: an active thread's figures are at most this old
KEEP = 3600.0  # seconds: a quiet thread's figures are then forgotten
CHOSEN = "billing_choice"  # conv.extra: the match an operator chose (``!customer``)
EMAIL = "billing_email"  # conv.extra: the email an operator gave (``!customer``)
REASON_MAX = 120


class Lookup:
    """One provider's answer for a conversation, as cached."""

    def __init__(self, provider: str, doc: dict[str, Any]) -> None:
        self.provider, self.doc = provider, doc

    @property
    def state(self) -> str:  # found · none · several · error
        return str(self.doc["state"])

    @property
    def context(self) -> BillingContext | None:
        raw = self.doc.get("context")
        return None if raw is None else to_context(raw)

    @property
    def choices(self) -> list[CustomerRef]:
        return [to_ref(raw) for raw in self.doc.get("choices", [])]

    @property
    def error(self) -> str:
        return str(self.doc.get("error", ""))

    @property
    def retry_after(self) -> float | None:
        wait = self.doc.get("retry_after")
        return None if wait is None else float(wait)


def cache_key(conv_id: int, provider: str) -> str:
    return f"billing:{conv_id}:{provider}"


class CustomerContext:
    def __init__(self, *, storage: BaseStorage, outbox: Outbox, clock: Clock,
                 providers: Sequence[BaseBillingProvider]) -> None:
        self.storage, self.outbox, self.clock = storage, outbox, clock
        self.providers = {p.name: p for p in providers}

    def handlers(self) -> dict[str, Handler]:
        """Its outbox job (routed from the table in ``bot.jobs``)."""
        return {jobs.BILLING_LOOKUP: self._run}

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        await self.close()

    async def close(self) -> None:
        for provider in self.providers.values():
            await provider.close()

    def _now(self) -> float:
        return self.clock.now().timestamp()

    # -- what the thread knows -------------------------------------------------------------
    async def lookup_of(self, conv: Conversation) -> dict[str, str]:
        """The email and phone to match on: an operator's ``!customer`` email first, then
        what the customer or the lead says."""
        customer = await self.storage.get_customer(conv.key) or Customer(conv.key)
        lead = await self.storage.get_lead(conv.lead_id) if conv.lead_id else None
        email = str(conv.extra.get(EMAIL) or customer.email or (lead.email if lead else ""))
        phone = customer.phone or (lead.phone if lead else "")
        return {"email": email.strip().lower(), "phone": phone.strip()} if (
            email or phone) else {}

    async def lookups(self, conv: Conversation) -> list[Lookup]:
        """What each provider answered, in the order they are configured; a provider not
        (or no longer) cached is left out."""
        found = []
        for name in self.providers:
            doc = await self.storage.cache_get(cache_key(conv.id, name), now=self._now())
            if doc is not None:
                found.append(Lookup(name, doc))
        return found

    # -- triggers ----------------------------------------------------------------------------
    async def on_message(self, conv: Conversation, msg: Message) -> None:
        await self.ensure(conv)

    async def ensure(self, conv: Conversation, *, force: bool = False) -> None:
        """Queue a lookup in each provider whose cached answer is missing, stale or about
        another email or phone; nothing when the conversation knows neither."""
        wanted = await self.lookup_of(conv)
        if not wanted:
            return
        now, due = self._now(), []
        for name in self.providers:
            doc = await self.storage.cache_get(cache_key(conv.id, name), now=now)
            if (force or doc is None or doc.get("lookup") != wanted
                    or doc.get("choice") != conv.extra.get(CHOSEN, "")
                    or now - float(doc["fetched_at"]) >= REFRESH_AFTER):
                due.append(jobs.billing_lookup(conv, name))
        if due:
            await self.storage.enqueue(due, now=now)
            self.outbox.notify()

    # -- the job -----------------------------------------------------------------------------
    async def _run(self, job: Job) -> Finish | None:
        conv = await self.storage.get_conversation(int(job.payload["conversation_id"]))
        provider = self.providers.get(str(job.payload["provider"]))
        if conv is None or provider is None:
            return None  # gone, or the provider was switched off since
        wanted = await self.lookup_of(conv)
        if not wanted:
            return None
        choice = str(conv.extra.get(CHOSEN, ""))
        base = {"lookup": wanted, "choice": choice, "fetched_at": self._now()}
        try:
            doc = await self._ask(provider, wanted, choice)
        except DeliveryError as exc:
            await self._store(conv, provider.name, {**base, **_error(exc)})
            await self.storage.enqueue([jobs.refresh_card(conv, f"card:billing:{job.id}:"
                                                                f"{job.attempts}")],
                                       now=self._now())
            raise
        await self._store(conv, provider.name, {**base, **doc})
        return Finish(jobs=[jobs.refresh_card(conv, f"card:billing:{job.id}")])

    async def _ask(self, provider: BaseBillingProvider, wanted: dict[str, str],
                   choice: str) -> dict[str, Any]:
        matches = await provider.find(email=wanted.get("email", ""),
                                      phone=wanted.get("phone", ""))
        chosen = pick(matches, choice)
        if chosen is None:
            state = "several" if matches else "none"
            return {"state": state, "choices": [ref_doc(m) for m in matches[:10]]}
        ctx = await provider.context(chosen)
        return {"state": "found", "context": context_doc(ctx)}

    async def _store(self, conv: Conversation, provider: str, doc: dict[str, Any]) -> None:
        await self.storage.cache_put(cache_key(conv.id, provider), doc, ttl=KEEP,
                                     now=self._now())


def _error(exc: DeliveryError) -> dict[str, Any]:
    """Why the figures are missing: the client's reason (it names the provider's status,
    not the customer), and when the provider asked to be left alone that long."""
    wait = exc.retry_after if isinstance(exc, RetryableError) else None
    return {"state": "error", "error": exc.reason[:REASON_MAX], "retry_after": wait}
