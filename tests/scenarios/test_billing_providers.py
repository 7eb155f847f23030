"""The billing line from the real providers, configured the way a deployer does it
(environment variables), against local fakes speaking Stripe's and Zoho Billing's wire
formats."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.sqlite import SqliteStorage
from tests.fakes import tg_updates as tg
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.stripe_api import FakeStripeAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zoho_billing_api import FakeZohoBillingAPI
from tests.scenarios.harness import Desk, running_desk
from tests.scenarios.test_billing_context import _card_shows, _modal_text, _tab
from tests.scenarios.test_conversation_actions import click
from tests.support.billing import EMAIL, StripeStory, ZohoStory

PHONE = "+33612345678"


@pytest.fixture
async def stripe() -> AsyncIterator[FakeStripeAPI]:
    async with FakeStripeAPI() as fake:
        yield fake


@pytest.fixture
async def zoho() -> AsyncIterator[FakeZohoBillingAPI]:
    async with FakeZohoBillingAPI() as fake:
        yield fake


@pytest.fixture
async def desk(tmp_path: Path, fake_slack: FakeSlackAPI, fake_tg: FakeTelegramAPI,
               stripe: FakeStripeAPI, zoho: FakeZohoBillingAPI) -> AsyncIterator[Desk]:
    store = await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    env = {"STRIPE_SECRET_KEY": "sk_test_fake", "STRIPE_API_BASE": stripe.url,
           "ZOHO_BILLING_ORGANIZATION_ID": zoho.organization_id,
           "ZOHO_BILLING_API_BASE": zoho.url, "ZOHO_ACCOUNTS_URL": zoho.url,
           "ZOHO_CLIENT_ID": zoho.client_id, "ZOHO_CLIENT_SECRET": zoho.client_secret,
           "ZOHO_REFRESH_TOKEN": zoho.refresh_token}
    async with running_desk(store, fake_slack, fake_tg, **env) as running:
        yield running


async def test_a_shared_phone_finds_the_stripe_customer(desk: Desk,
                                                        stripe: FakeStripeAPI) -> None:
    customer = StripeStory(stripe).seed()
    next(c for c in stripe.customers if c["id"] == customer)["phone"] = PHONE
    await desk.customer_sends(tg.contact_message(501, phone_number=PHONE))
    await desk.settle()
    thread = await desk.thread_of(501)
    card = await _card_shows(desk, thread, "*Stripe*: Team · past due")
    assert "2 unpaid invoices" in card and "*payment failed*" in card


async def test_an_email_from_lead_is_looked_up_at_zoho(desk: Desk,
                                                       zoho: FakeZohoBillingAPI) -> None:
    ZohoStory(zoho).seed()
    await desk.customer_sends(tg.text_message(501, "hello"))
    await desk.settle()
    thread = await desk.thread_of(501)
    # Slack links an address typed in a message
    await desk.operator_writes(thread, f"!lead email=<mailto:{EMAIL}|{EMAIL}>")
    await desk.settle()
    card = await _card_shows(desk, thread, "Zoho Billing*: Team · past due")
    assert "2 unpaid invoices" in card and "*payment failed*" in card


async def test_the_customer_modal_shows_stripe_figures(desk: Desk, stripe: FakeStripeAPI) -> None:
    customer = StripeStory(stripe).seed()
    next(c for c in stripe.customers if c["id"] == customer)["phone"] = PHONE
    await desk.customer_sends(tg.contact_message(501, phone_number=PHONE))
    await desk.settle()
    thread = await desk.thread_of(501)
    await _card_shows(desk, thread, "*Stripe*: Team · past due")
    assert await click(desk, "billing_customer", 501) == 200
    (opened,) = desk.slack.calls_to("views.open")
    view = {**opened["view"], "id": "V00000001", "hash": "h"}
    overview = _modal_text(view)
    assert "*Unused credits*\\n$5.00" in overview and "*Balance*\\n$59.00" in overview
    assert "75001 Paris" in overview and "*Zoho Billing*: no match" in overview
    activity = _modal_text(await _tab(desk, view, "activity"))
    assert "Payment failed for invoice ABC-0016" in activity
    assert "2025-06-01  Subscription Legacy canceled" in activity
    subs = _modal_text(await _tab(desk, view, "subscriptions"))
    assert "*Team* · past due · $49.00/month · renews 2026-11-20" in subs
    assert "*Pro* · active · $19.99/month · renews 2026-12-01" in subs
    invoices = _modal_text(await _tab(desk, view, "invoices"))
    assert ":warning: `ABC-0016` · overdue · $49.00" in invoices
    assert "<https://invoice.stripe.com/i/in_000016|View>" in invoices
