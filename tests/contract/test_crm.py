"""The CRM adapters and the lead service over both real stores."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest

from bot import jobs
from bot.access import Access
from bot.crm.base import BaseCrm
from bot.crm.builtin import BuiltinCrm
from bot.crm.webhook import WebhookCrm
from bot.leads import LeadService
from bot.metrics import Metrics
from bot.models import (
    Attachment,
    Conversation,
    ConversationKey,
    Customer,
    InboundMessage,
    Job,
    LeadForm,
    LeadRequest,
)
from bot.outbox import Outbox
from bot.preferences import set_preference
from bot.rendering import Renderer
from storage.base import BaseStorage
from tests.support.clock import FakeClock
from tests.support.factories import T0, inbound, lead, out_message, relay_plan


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def outbox(storage: BaseStorage, clock: FakeClock) -> Outbox:
    return Outbox(storage, clock=clock, metrics=Metrics())


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture(params=["builtin", "webhook"])
def crm(request: pytest.FixtureRequest, storage: BaseStorage, outbox: Outbox,
        clock: FakeClock, http: aiohttp.ClientSession) -> BaseCrm:
    if request.param == "builtin":
        return BuiltinCrm(storage, clock=clock)
    # Events are only queued here; delivery is tested in tests/unit/test_crm_webhook.py.
    return WebhookCrm(storage=storage, outbox=outbox, http=http, clock=clock,
                      url="http://127.0.0.1:9/hook", secret="s")


ACCESS = Access(operators=frozenset({"U1", "U2", "U3"}), managers=("M1", "M2"))


def service(storage: BaseStorage, clock: FakeClock, outbox: Outbox,
            access: Access = ACCESS, crm: BaseCrm | None = None) -> LeadService:
    return LeadService(storage=storage, crm=crm or BuiltinCrm(storage, clock=clock),
                       renderer=Renderer(), clock=clock, outbox=outbox, access=access)


async def conversation(storage: BaseStorage, chat_id: str = "42", text: str = "hello",
                       channel: str = "telegram") -> Conversation:
    message = inbound(chat_id, f"m-{text}", text)
    if channel != "telegram":
        key = ConversationKey(channel, chat_id)
        message = replace(message, customer=replace(message.customer, key=key),
                          event_key=f"{channel}:{chat_id}:{text}")
    ingested = await storage.ingest(message, now=T0, plan=relay_plan, seen_ttl=60)
    assert ingested is not None
    return ingested.conversation


async def say(storage: BaseStorage, conv: Conversation, text: str, n: int) -> None:
    customer = Customer(conv.key, name="Ann Lee", username="ann", language="en")
    message = InboundMessage(customer=customer, message_id=f"x{n}", event_key=f"ev:{n}",
                             sent_at=T0, text=text)
    assert await storage.ingest(message, now=T0, plan=relay_plan, seen_ttl=60) is not None


async def drain(storage: BaseStorage, clock: FakeClock) -> list[Job]:
    """Every queued job, in claim order (one ordering key yields one job per claim)."""
    taken: list[Job] = []
    while batch := await storage.claim_jobs(now=clock.now().timestamp() + 3600, lease=60,
                                            limit=100):
        for job in batch:
            await storage.complete_job(job)
        taken.extend(batch)
    return taken


# -- the adapters ------------------------------------------------------------------------


class TestCrmContract:
    async def test_create_gives_an_id_and_one_lead_per_conversation(self, crm: BaseCrm) -> None:
        first, created = await crm.create_lead(lead(7, owner="U2"))
        assert created and first.id > 0 and first.owner == "U2"
        again, created_again = await crm.create_lead(lead(7, owner="U3"))
        assert not created_again and again.id == first.id and again.owner == "U2"
        other, _ = await crm.create_lead(lead(8))
        assert other.id != first.id

    async def test_concurrent_creates_make_one_lead(self, crm: BaseCrm,
                                                    storage: BaseStorage) -> None:
        results = await asyncio.gather(*(crm.create_lead(lead(7, owner=f"U{i}"))
                                         for i in range(10)))
        assert sum(created for _, created in results) == 1
        assert len({made.id for made, _ in results}) == 1
        assert len(await storage.list_leads()) == 1

    async def test_update_keeps_notes_added_meanwhile(self, crm: BaseCrm,
                                                      storage: BaseStorage) -> None:
        made, _ = await crm.create_lead(lead(7))
        stale = replace(made, activity=[])
        await crm.add_note(made, "first call", author="U1")
        stale.status = "Qualified"
        await crm.update_lead(stale)
        stored = await storage.get_lead(made.id)
        assert stored is not None and stored.status == "Qualified"
        assert [e["text"] for e in stored.activity] == ["first call"]

    async def test_notes_append_in_order(self, crm: BaseCrm, storage: BaseStorage,
                                         clock: FakeClock) -> None:
        made, _ = await crm.create_lead(lead(7))
        await asyncio.gather(*(crm.add_note(made, f"note {i}", author="U1") for i in range(5)))
        await crm.add_activity(made, {"kind": "message", "at": "t", "author": "Ann",
                                      "text": "hi", "direction": "in"})
        stored = await storage.get_lead(made.id)
        assert stored is not None and len(stored.activity) == 6
        assert sorted(e["text"] for e in stored.activity[:5]) == [f"note {i}" for i in range(5)]
        assert stored.activity[0] == {"kind": "note", "at": clock.now().isoformat(),
                                      "author": "U1", "text": stored.activity[0]["text"]}
        assert stored.activity[-1]["kind"] == "message"

    async def test_find_by_email_and_phone(self, crm: BaseCrm) -> None:
        ann, _ = await crm.create_lead(replace(lead(7), email="Ann@Example.com",
                                               phone="+33 1-23 45"))
        await crm.create_lead(replace(lead(8), email="bo@example.com", phone="+44 1"))
        assert [x.id for x in await crm.find_by_email("ann@example.COM ")] == [ann.id]
        assert [x.id for x in await crm.find_by_phone("+331 2345")] == [ann.id]
        assert await crm.find_by_email("") == [] and await crm.find_by_phone("n/a") == []

    async def test_owners_and_sources(self, crm: BaseCrm, storage: BaseStorage) -> None:
        await crm.create_lead(lead(7, owner="U9"))
        await storage.save_pool("sales", ["U2", "U3"])
        assert await crm.list_owners() == ["U2", "U3", "U9"]
        await set_preference(storage, "sources", ["Fair"])
        assert await crm.list_sources() == ["Fair"]
        await crm.close()


# -- the service: creation and owners -------------------------------------------------------


async def test_create_uses_defaults_and_customer_details(
        storage: BaseStorage, clock: FakeClock, outbox: Outbox) -> None:
    conv = await conversation(storage)
    outcome = await service(storage, clock, outbox).create(conv, "U1", LeadRequest())
    made = outcome.lead
    assert outcome.created and not outcome.refusal and made is not None
    assert (made.owner, made.status, made.source, made.created_by) == ("U1", "New", "Telegram",
                                                                       "U1")
    assert (made.first_name, made.last_name, made.username) == ("Ann", "Lee", "ann")
    assert (made.language, made.channel) == ("en", "telegram")
    assert conv.lead_id == made.id
    stored_conv = await storage.get_conversation(conv.id)
    assert stored_conv is not None and stored_conv.lead_id == made.id


async def test_create_tells_the_thread_and_refreshes_the_card(
        storage: BaseStorage, clock: FakeClock, outbox: Outbox) -> None:
    conv = await conversation(storage)
    await drain(storage, clock)
    request = LeadRequest(owner="U2", status="qualified")
    made = (await service(storage, clock, outbox).create(conv, "U1", request)).lead
    assert made is not None
    notice, refresh = await drain(storage, clock)
    assert notice.kind == jobs.NOTICE and refresh.kind == jobs.REFRESH_CARD
    assert notice.payload["text"] == (f":briefcase: Lead #{made.id} created by <@U1> · "
                                      "owner <@U2> · Qualified · Telegram")
    assert refresh.dedupe_key == f"card:lead:{made.id}"


async def test_second_create_returns_the_existing_lead(
        storage: BaseStorage, clock: FakeClock, outbox: Outbox) -> None:
    conv = await conversation(storage)
    leads = service(storage, clock, outbox)
    first = await leads.create(conv, "U1", LeadRequest())
    stale = await storage.require_conversation(conv.id)
    stale.lead_id = None
    second = await leads.create(stale, "U2", LeadRequest(owner="U3"))
    assert not second.created and not second.refusal and second.lead == first.lead
    assert first.lead is not None and f"already has Lead #{first.lead.id}" in second.message


async def test_concurrent_creates_in_one_conversation_take_one_pool_turn(
        storage: BaseStorage, clock: FakeClock, outbox: Outbox) -> None:
    await storage.save_pool("sales", ["A", "B", "C"])
    conv, other = await conversation(storage, "1"), await conversation(storage, "2")
    leads = service(storage, clock, outbox)
    outcomes = await asyncio.gather(*(leads.create(replace(conv), "U1", LeadRequest(pool="sales"))
                                      for _ in range(5)))
    assert sum(o.created for o in outcomes) == 1
    assert {o.lead.owner for o in outcomes if o.lead} == {"A"}
    nxt = await leads.create(other, "U1", LeadRequest(pool="sales"))
    assert nxt.lead is not None and nxt.lead.owner == "B"


async def test_pool_round_robin_in_order(storage: BaseStorage, clock: FakeClock,
                                         outbox: Outbox) -> None:
    await storage.save_pool("sales", ["A", "B", "C"])
    leads = service(storage, clock, outbox)
    owners = []
    for i in range(7):
        conv = await conversation(storage, str(i))
        outcome = await leads.create(conv, "U1", LeadRequest(pool="sales"))
        assert outcome.lead is not None
        owners.append(outcome.lead.owner)
    assert owners == ["A", "B", "C", "A", "B", "C", "A"]


async def test_pool_round_robin_under_concurrency(storage: BaseStorage, clock: FakeClock,
                                                  outbox: Outbox) -> None:
    await storage.save_pool("sales", ["A", "B", "C"])
    await set_preference(storage, "default_pool", "sales")
    convs = [await conversation(storage, str(i)) for i in range(30)]
    leads = service(storage, clock, outbox)
    outcomes = await asyncio.gather(*(leads.create(c, "U1", LeadRequest()) for c in convs))
    assert all(o.created for o in outcomes)
    assert Counter(o.lead.owner for o in outcomes if o.lead) == {"A": 10, "B": 10, "C": 10}
    assert len(await storage.list_leads()) == 30


@pytest.mark.parametrize(("prefs", "access", "expected"), [
    ({"default_owner": "U9", "default_pool": "sales"}, ACCESS, "U9"),
    ({"default_pool": "sales"}, ACCESS, "A"),
    ({}, ACCESS, "U1"),
    ({"operators_are_crm_users": False}, ACCESS, "M1"),
    ({"operators_are_crm_users": False}, Access(), "U1"),
])
async def test_owner_fallbacks(storage: BaseStorage, clock: FakeClock, outbox: Outbox,
                               prefs: dict[str, object], access: Access, expected: str) -> None:
    await storage.save_pool("sales", ["A", "B"])
    for name, value in prefs.items():
        await set_preference(storage, name, value)
    conv = await conversation(storage)
    outcome = await service(storage, clock, outbox, access).create(conv, "U1", LeadRequest())
    assert outcome.lead is not None and outcome.lead.owner == expected


async def test_source_falls_back_to_the_channel(storage: BaseStorage, clock: FakeClock,
                                                outbox: Outbox) -> None:
    leads = service(storage, clock, outbox)
    viber = await leads.create(await conversation(storage, channel="viber"), "U1",
                               LeadRequest())
    assert viber.lead is not None and viber.lead.source == "Viber"
    await set_preference(storage, "source_by_channel", {"telegram": "Lead form"})
    tg = await leads.create(await conversation(storage, "7"), "U1", LeadRequest())
    assert tg.lead is not None and tg.lead.source == "Lead form"
    ads = await leads.create(await conversation(storage, "8"), "U1",
                             LeadRequest(source="google ADS"))
    assert ads.lead is not None and ads.lead.source == "Google Ads"


# -- the service: refusals -------------------------------------------------------------------


async def refused(storage: BaseStorage, clock: FakeClock, outbox: Outbox, user: str,
                  request: LeadRequest) -> str:
    conv = await conversation(storage)
    outcome = await service(storage, clock, outbox).create(conv, user, request)
    assert outcome.lead is None and not outcome.created and outcome.refusal
    assert await storage.list_leads() == [] and conv.lead_id is None
    return outcome.refusal


async def test_non_operator_is_refused(storage: BaseStorage, clock: FakeClock,
                                       outbox: Outbox) -> None:
    text = await refused(storage, clock, outbox, "U7", LeadRequest())
    assert "Only operators" in text


@pytest.mark.parametrize("request_", [LeadRequest(owner="U2"), LeadRequest(pool="sales")])
async def test_non_manager_may_not_pick_others_when_locked(
        storage: BaseStorage, clock: FakeClock, outbox: Outbox, request_: LeadRequest) -> None:
    await storage.save_pool("sales", ["A"])
    await set_preference(storage, "operators_may_assign_any_owner", False)
    assert "Only managers" in await refused(storage, clock, outbox, "U1", request_)


async def test_locked_still_lets_managers_and_self_assignment(
        storage: BaseStorage, clock: FakeClock, outbox: Outbox) -> None:
    await set_preference(storage, "operators_may_assign_any_owner", False)
    leads = service(storage, clock, outbox)
    by_manager = await leads.create(await conversation(storage, "1"), "M1",
                                    LeadRequest(owner="U2"))
    own = await leads.create(await conversation(storage, "2"), "U1", LeadRequest(owner="U1"))
    assert by_manager.lead is not None and by_manager.lead.owner == "U2"
    assert own.lead is not None and own.lead.owner == "U1"


async def test_unknown_and_empty_pools_are_named(storage: BaseStorage, clock: FakeClock,
                                                 outbox: Outbox) -> None:
    await storage.save_pool("support", [])
    text = await refused(storage, clock, outbox, "U1", LeadRequest(pool="vip"))
    assert "`vip`" in text and "support" in text
    empty = await service(storage, clock, outbox).create(
        await conversation(storage, "9"), "U1", LeadRequest(pool="support"))
    assert "`support` has no members" in empty.refusal


async def test_bad_status_lists_the_allowed_ones(storage: BaseStorage, clock: FakeClock,
                                                 outbox: Outbox) -> None:
    text = await refused(storage, clock, outbox, "U1", LeadRequest(status="Hot <!here>"))
    assert "New, Contacted, Qualified, Unqualified" in text and "<!here>" not in text


async def test_bad_status_does_not_take_a_pool_turn(storage: BaseStorage, clock: FakeClock,
                                                    outbox: Outbox) -> None:
    await storage.save_pool("sales", ["A", "B"])
    await refused(storage, clock, outbox, "U1", LeadRequest(pool="sales", status="Hot"))
    assert await storage.next_in_pool("sales") == "A"


# -- the service: history ----------------------------------------------------------------------


async def test_transcript_attached_and_later_messages_appended(
        storage: BaseStorage, clock: FakeClock, outbox: Outbox) -> None:
    conv = await conversation(storage, text="hello")
    await say(storage, conv, "I need a quote", 2)
    await storage.add_message(out_message(conv.id, "sure, for what?"), lambda m: [])
    leads = service(storage, clock, outbox)
    made = (await leads.create(conv, "U1", LeadRequest())).lead
    assert made is not None
    (transcript,) = made.activity
    assert transcript["kind"] == "transcript" and transcript["author"] == "U1"
    text = transcript["text"]
    assert text.index("hello") < text.index("I need a quote") < text.index("sure, for what?")
    for message in await storage.list_messages(conv.id):
        await leads.record_message(conv, message)  # already in the transcript
    later, _ = await storage.add_message(
        replace(out_message(conv.id, "here it is"),
                attachments=(Attachment(kind="document", ref="F1"),)), lambda m: [])
    await leads.record_message(conv, later)
    await leads.record_message(conv, later)  # a redelivery
    stored = await storage.get_lead(made.id)
    assert stored is not None and [e["kind"] for e in stored.activity] == ["transcript",
                                                                         "message"]
    entry = stored.activity[1]
    assert (entry["text"], entry["direction"], entry["author"]) == ("here it is", "out", "U1")
    assert entry["message_id"] == later.id and entry["attachments"] == ["document"]


async def test_history_sync_off(storage: BaseStorage, clock: FakeClock,
                                outbox: Outbox) -> None:
    await set_preference(storage, "history_sync", False)
    conv = await conversation(storage)
    leads = service(storage, clock, outbox)
    made = (await leads.create(conv, "U1", LeadRequest())).lead
    later, _ = await storage.add_message(out_message(conv.id), lambda m: [])
    await leads.record_message(conv, later)
    assert made is not None and made.activity == []
    stored = await storage.get_lead(made.id)
    assert stored is not None and stored.activity == []


async def test_record_message_without_a_lead_does_nothing(
        storage: BaseStorage, clock: FakeClock, outbox: Outbox) -> None:
    conv = await conversation(storage)
    message = (await storage.list_messages(conv.id))[0]
    await service(storage, clock, outbox).record_message(conv, message)
    assert await storage.list_leads() == []


async def test_webhook_crm_gets_created_and_transcript_events(
        storage: BaseStorage, clock: FakeClock, outbox: Outbox,
        http: aiohttp.ClientSession) -> None:
    crm = WebhookCrm(storage=storage, outbox=outbox, http=http, clock=clock,
                     url="http://127.0.0.1:9/hook", secret="s")
    conv = await conversation(storage)
    await drain(storage, clock)
    made = (await service(storage, clock, outbox, crm=crm).create(conv, "U1", LeadRequest())).lead
    assert made is not None
    webhook = [j for j in await drain(storage, clock) if j.kind == jobs.CRM_WEBHOOK]
    assert [j.payload["event"] for j in webhook] == ["lead.created", "lead.note"]
    assert webhook[1].payload["note"]["kind"] == "transcript"


# -- the service: updates, form, card -----------------------------------------------------------


async def created(storage: BaseStorage, clock: FakeClock, outbox: Outbox,
                  leads: LeadService) -> Conversation:
    conv = await conversation(storage)
    assert (await leads.create(conv, "U1", LeadRequest())).created
    await drain(storage, clock)
    return conv


async def test_update_changes_fields_and_tells_the_thread(
        storage: BaseStorage, clock: FakeClock, outbox: Outbox) -> None:
    leads = service(storage, clock, outbox)
    conv = await created(storage, clock, outbox, leads)
    outcome = await leads.update(conv, "U2", LeadRequest(status="qualified", owner="U3",
                                                         source="Google Ads"))
    assert not outcome.refusal and outcome.lead is not None
    stored = await storage.get_lead(outcome.lead.id)
    assert stored is not None
    assert (stored.status, stored.owner, stored.source) == ("Qualified", "U3", "Google Ads")
    notice, refresh = await drain(storage, clock)
    text = notice.payload["text"]
    assert f"Lead #{stored.id} updated by <@U2>" in text
    assert "status New → Qualified" in text and "owner <@U1> → <@U3>" in text
    assert refresh.kind == jobs.REFRESH_CARD


async def test_update_refusals(storage: BaseStorage, clock: FakeClock, outbox: Outbox) -> None:
    leads = service(storage, clock, outbox)
    bare = await conversation(storage, "5")
    assert "no lead yet" in (await leads.update(bare, "U1", LeadRequest(status="New"))).refusal
    conv = await created(storage, clock, outbox, leads)
    assert "Only operators" in (await leads.update(conv, "U7", LeadRequest())).refusal
    assert "Say what to change" in (await leads.update(conv, "U1", LeadRequest())).refusal
    assert "Choose one of" in (await leads.update(conv, "U1", LeadRequest(source="Fax"))).refusal
    await set_preference(storage, "operators_may_assign_any_owner", False)
    assert "Only managers" in (await leads.update(conv, "U1", LeadRequest(owner="U2"))).refusal
    assert await drain(storage, clock) == []


async def test_update_with_nothing_new_says_so_quietly(
        storage: BaseStorage, clock: FakeClock, outbox: Outbox) -> None:
    leads = service(storage, clock, outbox)
    conv = await created(storage, clock, outbox, leads)
    outcome = await leads.update(conv, "U1", LeadRequest(status="new"))
    assert not outcome.refusal and "nothing changed" in outcome.message
    assert await drain(storage, clock) == []


async def test_form_prefill(storage: BaseStorage, clock: FakeClock, outbox: Outbox) -> None:
    await storage.save_pool("sales", ["A"])
    await set_preference(storage, "default_pool", "sales")
    leads = service(storage, clock, outbox)
    conv = await conversation(storage)
    form = await leads.form(conv, "U1")
    assert isinstance(form, LeadForm) and form.existing_lead_id is None
    assert (form.prefill.pool, form.prefill.owner, form.prefill.status) == ("sales", "", "New")
    assert (form.prefill.source, form.prefill.first_name, form.language) == ("Telegram", "Ann",
                                                                              "en")
    assert form.pools == ("sales",) and "Qualified" in form.statuses
    made = (await leads.create(conv, "U1", LeadRequest(status="Qualified"))).lead
    again = await leads.form(conv, "U1")
    assert isinstance(again, LeadForm) and made is not None
    assert again.existing_lead_id == made.id and again.prefill.status == "Qualified"
    assert "Only operators" in str(await leads.form(conv, "U7"))


async def test_card_line_follows_the_fields(storage: BaseStorage, clock: FakeClock,
                                            outbox: Outbox) -> None:
    leads = service(storage, clock, outbox)
    shown = replace(lead(7, owner="U2"), id=12, source="Ads <x>")
    assert leads.card_line(shown, ["id", "owner", "status", "source"]) == (
        "Lead #12 · <@U2> · New · Ads &lt;x&gt;")
    assert leads.card_line(shown, ["status", "id", "bogus", "company"]) == "New · Lead #12"
    await set_preference(storage, "card_lead_fields", ["source", "owner"])
    assert await leads.card_text(shown) == "Ads &lt;x&gt; · <@U2>"
