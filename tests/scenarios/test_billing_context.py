"""The customer's billing context in the thread: the card's line per provider, the
Customer modal's four tabs, a manual link, and a provider that is down."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.billing.base import (
    Address,
    BaseBillingProvider,
    BillingContext,
    CustomerRef,
    Event,
    Invoice,
    Money,
    Subscription,
)
from bot.billing.service import REFRESH_AFTER
from bot.errors import RetryableError
from storage.sqlite import SqliteStorage
from tests.fakes import tg_updates as tg
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.harness import CHANNEL, OPERATOR, Desk, running_desk
from tests.scenarios.test_conversation_actions import card_text, click
from tests.support.clock import FakeClock

TODAY = date.today()
PHONE = "+33612345678"
ANN = CustomerRef("stripe", "cus_ann", "Ann Lee", "ann@example.com")
ANN_WORK = CustomerRef("stripe", "cus_work", "Ann Lee (Acme)", "ann@acme.example")


def _invoice(number: str, status: str, cents: int, due: date | None = None,
             sub: str = "sub_pro") -> Invoice:
    return Invoice(f"in_{number}", number, status, Money(cents, "USD"),
                   Money(cents if status != "paid" else 0, "USD"),
                   issued_on=TODAY - timedelta(days=40), due_on=due,
                   url=f"https://pay.example/{number}", subscription_id=sub)


PAID = _invoice("A-1", "paid", 1234)
LATE = _invoice("A-2", "open", 1234, due=TODAY - timedelta(days=5))
ANN_CONTEXT = BillingContext(
    ANN, balance=Money(1234, "USD"), credits=Money(500, "USD"),
    billing_address=Address(("1 Rue de la Paix",), "Lyon", "69001", country="FR"),
    subscriptions=(Subscription("sub_pro", "Pro", "active", Money(1234, "USD"), "month",
                                started_on=TODAY - timedelta(days=70),
                                renews_on=TODAY + timedelta(days=20),
                                invoices=(LATE, PAID)),
                   Subscription("sub_old", "Starter", "canceled", Money(500, "USD"), "month",
                                canceled_on=TODAY - timedelta(days=71))),
    invoices=(LATE, PAID),
    activity=(Event(TODAY - timedelta(days=70), "Upgraded from Starter to Pro"),
              Event(TODAY - timedelta(days=400), "Subscribed to Starter")))
WORK_CONTEXT = BillingContext(ANN_WORK, balance=Money(0, "USD"), subscriptions=(
    Subscription("sub_team", "Team", "active", Money(9900, "USD"), "year",
                 renews_on=TODAY + timedelta(days=200)),))


class Billing(BaseBillingProvider):
    """A provider with fixed customers, as the bot sees any provider: through the
    interface."""

    name = "stripe"

    def __init__(self) -> None:
        self.by_phone = {PHONE: [ANN]}
        self.by_email = {"ann@example.com": [ANN], "ann@acme.example": [ANN_WORK],
                         "twins@example.com": [ANN, ANN_WORK]}
        self.contexts = {ANN.id: ANN_CONTEXT, ANN_WORK.id: WORK_CONTEXT}
        self.down = ""
        self.calls = 0

    async def find(self, *, email: str = "", phone: str = "") -> list[CustomerRef]:
        self.calls += 1
        if self.down:
            raise RetryableError(self.down, code="http_503")
        return self.by_email.get(email, []) if email else self.by_phone.get(phone, [])

    async def context(self, customer: CustomerRef) -> BillingContext:
        self.calls += 1
        return self.contexts[customer.id]

    async def close(self) -> None:
        pass


@pytest.fixture
def billing() -> Billing:
    return Billing()


@pytest.fixture
async def desk(tmp_path: Path, fake_slack: FakeSlackAPI, fake_tg: FakeTelegramAPI,
               billing: Billing) -> AsyncIterator[Desk]:
    store = await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    async with running_desk(store, fake_slack, fake_tg, billing=[billing]) as running:
        yield running


async def _card_shows(desk: Desk, thread: str, text: str, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while text not in (card := card_text(desk, thread)):
        if time.monotonic() > deadline:
            raise AssertionError(f"the card never showed {text!r}: {card}")
        await asyncio.sleep(0.02)
    return card


async def _shares_contact(desk: Desk, chat_id: int = 501, *, settle: bool = True) -> str:
    await desk.customer_sends(tg.contact_message(chat_id, phone_number=PHONE))
    if settle:
        await desk.settle()
    deadline = time.monotonic() + 5
    while not ((conv := await desk.conversation(chat_id)) and conv.thread_ts):
        assert time.monotonic() < deadline, "no thread was opened"
        await asyncio.sleep(0.02)
    return conv.thread_ts


def _modal_text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


async def _view_click(desk: Desk, view: dict[str, Any], action: dict[str, Any]) -> None:
    payload = {"type": "block_actions", "user": {"id": OPERATOR, "team_id": "T0001"},
               "api_app_id": "A0001", "token": "legacy", "trigger_id": "1.2.3",
               "team": {"id": "T0001", "domain": "desk"},
               "container": {"type": "view", "view_id": view["id"]},
               "view": {**view, "state": {"values": {}}}, "actions": [action]}
    status = await desk.slack_post(urlencode({"payload": json.dumps(payload)}),
                                   "application/x-www-form-urlencoded")
    assert status == 200


async def _tab(desk: Desk, view: dict[str, Any], tab: str) -> dict[str, Any]:
    await _view_click(desk, view, {"action_id": f"billing_tab_{tab}", "block_id": "billing_tabs",
                                   "value": tab, "type": "button", "action_ts": "1.1"})
    updated = desk.slack.calls_to("views.update")[-1]
    assert updated["view_id"] == view["id"]
    return {**updated["view"], "id": view["id"], "hash": "h"}


async def test_a_shared_contact_puts_the_billing_line_on_the_card(desk: Desk,
                                                                   billing: Billing) -> None:
    thread = await _shares_contact(desk)
    renews = (TODAY + timedelta(days=20)).isoformat()
    card = await _card_shows(desk, thread, "*Stripe*: Pro")
    assert f"Pro · active · renews {renews} · balance $12.34 · 1 unpaid invoice (1 overdue)" in card
    assert ":warning: *Stripe*" in card  # A-2 is past its due date
    assert "billing_customer" in card  # the Customer button
    calls = billing.calls
    for n in range(5):  # a busy thread reads the cached figures
        await desk.customer_sends(tg.text_message(501, f"still there? {n}"))
    await desk.settle()
    assert billing.calls == calls


async def test_the_customer_modal_shows_each_tab(desk: Desk) -> None:
    thread = await _shares_contact(desk)
    await _card_shows(desk, thread, "*Stripe*: Pro")
    assert await click(desk, "billing_customer", 501) == 200
    (opened,) = desk.slack.calls_to("views.open")
    view = {**opened["view"], "id": "V00000001", "hash": "h"}
    overview = _modal_text(view)
    assert "$5.00" in overview and "$12.34" in overview and "Lyon" in overview
    assert "Ann Lee" in overview
    activity = _modal_text(await _tab(desk, view, "activity"))
    assert "Upgraded from Starter to Pro" in activity and "Subscribed to Starter" in activity
    subs = _modal_text(await _tab(desk, view, "subscriptions"))
    assert "*Pro* · active · $12.34/month · renews" in subs
    assert "*Starter* · canceled" in subs and "`A-2`" in subs
    invoices = await _tab(desk, view, "invoices")
    text = _modal_text(invoices)
    assert ":warning: `A-2` · overdue" in text and "<https://pay.example/A-2|View>" in text
    assert "`A-1` · paid" in text
    await _view_click(desk, invoices, {
        "action_id": "billing_invoice_filter", "block_id": "billing_filter",
        "type": "static_select", "action_ts": "1.2",
        "selected_option": {"value": "paid", "text": {"type": "plain_text", "text": "Paid"}}})
    paid_only = _modal_text(desk.slack.calls_to("views.update")[-1]["view"])
    assert "`A-1`" in paid_only and "`A-2`" not in paid_only


async def test_only_operators_open_the_customer_modal(tmp_path: Path, fake_slack: FakeSlackAPI,
                                                      fake_tg: FakeTelegramAPI,
                                                      billing: Billing) -> None:
    store = await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    async with running_desk(store, fake_slack, fake_tg, billing=[billing],
                            SLACK_OPERATORS=OPERATOR) as desk:
        thread = await _shares_contact(desk)
        await _card_shows(desk, thread, "*Stripe*: Pro")
        assert await click(desk, "billing_customer", 501, user="UOPS2") == 200
        await desk.settle()
        assert desk.slack.calls_to("views.open") == []
        assert [c["user"] for c in desk.slack.calls_to("chat.postEphemeral")] == ["UOPS2"]


async def test_several_matches_are_listed_and_customer_picks_one(desk: Desk) -> None:
    await desk.customer_sends(tg.text_message(502, "hello"))
    await desk.settle()
    thread = await desk.thread_of(502)
    assert "Stripe" not in card_text(desk, thread)  # nothing known to look up by
    await desk.operator_writes(thread, "!customer <mailto:twins@example.com|twins@example.com>")
    card = await _card_shows(desk, thread, "2 matches")
    assert "cus_ann" in card and "cus_work" in card
    await desk.operator_writes(thread, "!customer cus_work")
    card = await _card_shows(desk, thread, "*Stripe*: Team")
    assert "balance" not in card or "$0.00" in card


async def test_no_match_is_stated(desk: Desk) -> None:
    await desk.customer_sends(tg.text_message(503, "hello"))
    await desk.settle()
    thread = await desk.thread_of(503)
    await desk.operator_writes(thread, "!customer nobody@example.com")
    await _card_shows(desk, thread, "*Stripe*: no match")


async def test_a_provider_down_leaves_the_thread_working(desk: Desk, billing: Billing) -> None:
    billing.down = "Stripe answered 503"
    thread = await _shares_contact(desk, settle=False)  # the lookup keeps retrying
    await _card_shows(desk, thread, "billing data unavailable: Stripe answered 503")
    await desk.operator_writes(thread, "We are on it")
    deadline = time.monotonic() + 5
    while "Sam: We are on it" not in desk.tg.texts(501):
        assert time.monotonic() < deadline, "the reply never reached the customer"
        await asyncio.sleep(0.02)
    billing.down = ""  # the lookup's retry finds the figures once the provider is back
    await _card_shows(desk, thread, "*Stripe*: Pro", timeout=10)


class ZohoBilling(Billing):
    name = "zoho_billing"

    def __init__(self) -> None:
        super().__init__()
        self.by_email = {}


async def test_an_email_given_with_lead_is_looked_up_in_every_provider(
        tmp_path: Path, fake_slack: FakeSlackAPI, fake_tg: FakeTelegramAPI,
        billing: Billing) -> None:
    store = await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    async with running_desk(store, fake_slack, fake_tg,
                            billing=[billing, ZohoBilling()]) as desk:
        await desk.customer_sends(tg.text_message(504, "hello"))
        await desk.settle()
        thread = await desk.thread_of(504)
        await desk.operator_writes(thread, "!lead email=ann@example.com")
        card = await _card_shows(desk, thread, "*Zoho Billing*: no match")
        assert "*Stripe*: Pro" in card
        assert card.index("*Stripe*") < card.index("*Zoho Billing*")


async def test_the_figures_are_looked_up_again_once_stale_and_the_thread_active(
        tmp_path: Path, fake_slack: FakeSlackAPI, fake_tg: FakeTelegramAPI,
        billing: Billing) -> None:
    clock = FakeClock(datetime.now(UTC))
    store = await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    async with running_desk(store, fake_slack, fake_tg, clock=clock, billing=[billing]) as desk:
        thread = await _shares_contact(desk)
        await _card_shows(desk, thread, "$12.34")
        billing.contexts[ANN.id] = replace(ANN_CONTEXT, balance=Money(0, "USD"))
        clock.advance(REFRESH_AFTER - 1)
        await desk.customer_sends(tg.text_message(501, "hi again"))
        await desk.settle()
        assert "$12.34" in card_text(desk, thread)  # still fresh: no call
        clock.advance(2)
        await desk.customer_sends(tg.text_message(501, "and again"))
        await _card_shows(desk, thread, "balance $0.00")
