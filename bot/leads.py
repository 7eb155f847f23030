"""Lead use-cases: create a conversation's lead, update it, prefill its modal, keep its
activity feed in step with the conversation. The pure rules live in :mod:`bot.lead_rules`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
import dataclasses
from dataclasses import dataclass
from typing import Any

from bot import jobs
from bot.access import Access
from bot.crm.base import BaseCrm
from bot.keyed_locks import KeyedLocks
from bot.lead_rules import (
    DETAILS,
    already_recorded,
    lead_context,
    message_context,
    request_from,
    shown,
    OwnerRules,
    default_owner,
    is_empty,
    lead_details,
    match_choice,
    parse_lead_args,
    resolve_owner,
    resolve_source,
    resolve_status,
)
from bot.lifecycle.clock import Clock
from bot.models import Conversation, Lead, LeadForm, LeadRequest, Message, NewJob
from bot.outbox import Outbox
from bot.preferences import preference
from bot.rendering import Renderer
from storage.base import BaseStorage

__all__ = ["LeadOutcome", "LeadPrefs", "LeadService", "parse_lead_args", "resolve_owner"]

_LEAD_FIELDS = frozenset(f.name for f in dataclasses.fields(Lead))


@dataclass(frozen=True, slots=True)
class LeadOutcome:
    """What a create/update did. Show ``refusal`` (or else ``message``) to the user
    privately; both are rendered and empty when there is nothing to say."""

    lead: Lead | None
    created: bool
    refusal: str = ""
    #: e.g. "this conversation already has Lead #3", or "nothing changed"
    message: str = ""


@dataclass(frozen=True, slots=True)
class LeadPrefs:
    default_owner: str
    default_pool: str
    default_status: str
    statuses: tuple[str, ...]
    sources: tuple[str, ...]
    source_by_channel: Mapping[str, str]
    operators_are_crm_users: bool
    operators_may_assign_any_owner: bool
    history_sync: bool

    @classmethod
    async def load(cls, storage: BaseStorage, inbox: str = "") -> LeadPrefs:
        """The preferences in force for ``inbox`` (its own defaults, else the desk's)."""
        values = {f.name: await preference(storage, f.name, inbox)
                  for f in dataclasses.fields(cls)}
        values["statuses"] = tuple(values["statuses"])
        values["sources"] = tuple(values["sources"])
        return cls(**values)

    def owner_rules(self, first_manager: str) -> OwnerRules:
        return OwnerRules(self.default_owner, self.default_pool, self.operators_are_crm_users,
                          self.operators_may_assign_any_owner, first_manager)


class LeadService:
    """Creates and updates leads through the CRM adapter and tells the thread.

    :param access: who may operate and who is a manager (the fallback owner)
    """

    def __init__(self, *, storage: BaseStorage, crm: BaseCrm, renderer: Renderer,
                 clock: Clock, outbox: Outbox, access: Access) -> None:
        self.storage, self.crm, self.renderer = storage, crm, renderer
        self.clock, self.outbox, self.access = clock, outbox, access
        # Two clicks on "Create lead" in this process must not take two pool turns.
        self._creating = KeyedLocks()

    # -- create ------------------------------------------------------------------------

    async def create(self, conv: Conversation, user: str, request: LeadRequest) -> LeadOutcome:
        if not self.access.may_operate(user):
            return self._refused("not_operator")
        async with self._creating.hold(conv.id):
            if (existing := await self.existing_lead(conv)) is not None:
                return LeadOutcome(existing, False, message=self.existing_text(existing))
            prefs = await LeadPrefs.load(self.storage, conv.key.inbox)
            planned = await self._plan(conv, user, request, prefs)
            if isinstance(planned, str):
                return LeadOutcome(None, False, refusal=planned)
            lead, created = await self.crm.create_lead(planned)
            if not created:
                return LeadOutcome(lead, False, message=self.existing_text(lead))
            await self._link(conv, lead)
        await self._announce_created(conv, lead, prefs)
        return LeadOutcome(lead, True)

    async def existing_lead(self, conv: Conversation) -> Lead | None:
        """The conversation's lead, looking past a stale ``conv`` to the stored one."""
        lead_id = conv.lead_id
        if lead_id is None and (fresh := await self.storage.get_conversation(conv.id)):
            lead_id = fresh.lead_id
        lead = await self.storage.get_lead(lead_id) if lead_id is not None else None
        if lead is not None:
            conv.lead_id = lead.id
        return lead

    def existing_text(self, lead: Lead) -> str:
        return self.renderer.render("slack/lead_exists.mrkdwn", lead=lead_context(lead))

    async def _plan(self, conv: Conversation, user: str, request: LeadRequest,
                    prefs: LeadPrefs) -> Lead | str:
        """The lead to create, or a refusal. The pool turn is taken last, once everything
        else is valid, so a typo in the status does not skip a member."""
        status = resolve_status(request.status, prefs.statuses, prefs.default_status)
        if status is None:
            return self._choice_refusal("status", request.status, prefs.statuses)
        channel = conv.key.channel
        source = resolve_source(request.source, prefs.sources, prefs.source_by_channel, channel)
        if source is None:
            return self._choice_refusal("source", request.source, prefs.sources)
        owner, refusal = await self._owner(user, request, prefs)
        if refusal:
            return refusal
        customer = await self.storage.get_customer(conv.key)
        # tags and activity named, so the details (all text) can only fill the text fields
        return Lead(id=0, conversation_id=conv.id, owner=owner, status=status,
                    source=source, created_by=user, created_at=self.clock.now(),
                    tags=(), activity=[], **lead_details(request, customer, channel))

    async def _owner(self, user: str, request: LeadRequest,
                     prefs: LeadPrefs) -> tuple[str, str]:
        """:return: (the owner, "") or ("", a refusal)"""
        choice = resolve_owner(request.owner, request.pool, user=user,
                               is_manager=self.access.is_manager(user),
                               rules=prefs.owner_rules(self.access.first_manager))
        if isinstance(choice, str):
            return "", self._refusal_text(choice, pool=request.pool)
        if choice.owner:
            return choice.owner, ""
        if (member := await self.storage.next_in_pool(choice.pool)) is not None:
            return member, ""
        problem = "unknown_pool" if await self.storage.get_pool(choice.pool) is None \
            else "empty_pool"
        pools = sorted(await self.storage.list_pools())
        return "", self._refusal_text(problem, pool=choice.pool, pools=pools)

    async def _link(self, conv: Conversation, lead: Lead) -> None:
        # The stored copy, not the caller's: a delivery job may have saved it meanwhile.
        stored = await self.storage.get_conversation(conv.id) or conv
        stored.lead_id = conv.lead_id = lead.id
        await self.storage.save_conversation(stored)

    async def _announce_created(self, conv: Conversation, lead: Lead, prefs: LeadPrefs) -> None:
        if prefs.history_sync:
            await self._attach_transcript(conv, lead)
        text = self.renderer.render("slack/lead_created.mrkdwn", lead=lead_context(lead),
                                    actor=lead.created_by)
        await self._enqueue([jobs.notice(conv, text, f"lead:created:{lead.id}"),
                             jobs.refresh_card(conv, f"card:lead:{lead.id}")])

    async def _attach_transcript(self, conv: Conversation, lead: Lead) -> None:
        messages = [m for m in await self.storage.list_messages(conv.id) if not m.deleted]
        if not messages:
            return
        text = self.renderer.render("crm/transcript.txt",
                                    transcript=[message_context(m) for m in messages])
        await self.crm.add_activity(lead, {
            "kind": "transcript", "at": self.clock.now().isoformat(),
            "author": lead.created_by, "text": text, "last_message_id": messages[-1].id})

    # -- update ------------------------------------------------------------------------

    async def update(self, conv: Conversation, user: str, request: LeadRequest) -> LeadOutcome:
        if not self.access.may_operate(user):
            return self._refused("not_operator")
        lead = await self.existing_lead(conv)
        if lead is None:
            return self._refused("no_lead")
        if is_empty(request):
            return self._refused("nothing_to_change")
        prefs = await LeadPrefs.load(self.storage, conv.key.inbox)
        changes = await self._changes(lead, user, request, prefs)
        if isinstance(changes, str):
            return LeadOutcome(lead, False, refusal=changes)
        if not changes:
            return LeadOutcome(lead, False, message=self._updated_text(lead, user, []))
        rows = [{"field": k, "old": getattr(lead, k), "new": v} for k, v in changes.items()]
        for key, value in changes.items():
            setattr(lead, key, value)
        await self.crm.update_lead(lead)
        rev = uuid.uuid4().hex[:12]
        await self._enqueue([
            jobs.notice(conv, self._updated_text(lead, user, rows),
                        f"lead:updated:{lead.id}:{rev}"),
            jobs.refresh_card(conv, f"card:lead:{lead.id}:{rev}")])
        return LeadOutcome(lead, False)

    async def _changes(self, lead: Lead, user: str, request: LeadRequest,
                       prefs: LeadPrefs) -> dict[str, str] | str:
        """:return: field → new value for what actually changes, or a refusal"""
        new = {key: getattr(request, key) for key in DETAILS if getattr(request, key)}
        for key, choices in (("status", prefs.statuses), ("source", prefs.sources)):
            if value := getattr(request, key):
                if (matched := match_choice(value, choices)) is None:
                    return self._choice_refusal(key, value, choices)
                new[key] = matched
        if request.owner or request.pool:
            owner, refusal = await self._owner(user, request, prefs)
            if refusal:
                return refusal
            new["owner"] = owner
        return {key: value for key, value in new.items() if getattr(lead, key) != value}

    def _updated_text(self, lead: Lead, user: str, rows: list[dict[str, Any]]) -> str:
        return self.renderer.render("slack/lead_updated.mrkdwn", lead=lead_context(lead),
                                    actor=user, changes=rows)

    # -- modal, feed, card -------------------------------------------------------------

    async def form(self, conv: Conversation, user: str) -> LeadForm | str:
        """The lead modal's content, or a refusal to show the user privately."""
        if not self.access.may_operate(user):
            return self._refusal_text("not_operator")
        prefs = await LeadPrefs.load(self.storage, conv.key.inbox)
        existing = await self.existing_lead(conv)
        customer = await self.storage.get_customer(conv.key)
        prefill = (request_from(existing) if existing is not None
                   else self._default_request(conv, user, prefs, lead_details(
                       LeadRequest(), customer, conv.key.channel)))
        return LeadForm(
            conversation_id=conv.id, prefill=prefill, channel=conv.key.channel,
            language=customer.language if customer else "", statuses=prefs.statuses,
            sources=prefs.sources, pools=tuple(sorted(await self.storage.list_pools())),
            existing_lead_id=existing.id if existing is not None else None)

    def _default_request(self, conv: Conversation, user: str, prefs: LeadPrefs,
                         details: dict[str, str]) -> LeadRequest:
        owner = default_owner(prefs.owner_rules(self.access.first_manager), user)
        source = resolve_source("", prefs.sources, prefs.source_by_channel, conv.key.channel)
        return LeadRequest(owner=owner.owner, pool=owner.pool, status=prefs.default_status,
                           source=source or "",
                           **{k: details[k] for k in DETAILS})

    async def record_message(self, conv: Conversation, msg: Message) -> None:
        """Append a relayed message to the lead's feed (with ``history_sync`` on). Free
        when the conversation has no lead; a message already recorded is skipped."""
        if conv.lead_id is None or not await preference(self.storage, "history_sync"):
            return
        lead = await self.storage.get_lead(conv.lead_id)
        if lead is None or already_recorded(lead.activity, msg.id):
            return
        await self.crm.add_activity(lead, {"kind": "message", **message_context(msg),
                                           "message_id": msg.id})

    def card_line(self, lead: Lead, fields: Sequence[str]) -> str:
        """``Lead #12 · <@U2> · Qualified · Telegram``, showing ``fields`` in order."""
        items = [{"field": name, "value": shown(getattr(lead, name))} for name in fields
                 if name in _LEAD_FIELDS and name != "activity" and getattr(lead, name)]
        return self.renderer.render("slack/lead_line.mrkdwn", lead_fields=items)

    async def card_text(self, lead: Lead) -> str:
        """:meth:`card_line` with the ``card_lead_fields`` preference."""
        return self.card_line(lead, await preference(self.storage, "card_lead_fields"))

    # -- plumbing ------------------------------------------------------------------------

    async def _enqueue(self, new_jobs: Sequence[NewJob]) -> None:
        await self.storage.enqueue(new_jobs, now=self.clock.now().timestamp())
        self.outbox.notify()

    def _choice_refusal(self, field: str, value: str, choices: Sequence[str]) -> str:
        return self._refusal_text("bad_choice", choice_field=field, choice_value=value,
                                  choices=list(choices))

    def _refused(self, problem: str) -> LeadOutcome:
        return LeadOutcome(None, False, refusal=self._refusal_text(problem))

    def _refusal_text(self, problem: str, **context: Any) -> str:
        # Every variable is always passed, whichever branch the template takes.
        defaults: dict[str, Any] = {"pool": "", "pools": [], "choice_field": "",
                                    "choice_value": "", "choices": []}
        return self.renderer.render("slack/lead_refused.mrkdwn", problem=problem,
                                    **{**defaults, **context})

