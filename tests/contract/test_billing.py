"""The billing providers against local fakes of Stripe and Zoho Billing, one suite for both:
what an operator would see in the thread for the same customer, whichever bills them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import date

import aiohttp
import pytest

from bot.billing.base import Address, CustomerRef, Money
from bot.errors import PermanentError, RetryableError
from tests.fakes.base import FakeServer
from tests.fakes.stripe_api import FakeStripeAPI
from tests.fakes.zoho_billing_api import FakeZohoBillingAPI
from tests.support.billing import (
    ADDRESS,
    EMAIL,
    NAME,
    Case,
    stripe_case,
    ts,
    zoho_case,
)
from tests.support.clock import FakeClock


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["stripe", "zoho_billing"])
async def case(request: pytest.FixtureRequest, http: aiohttp.ClientSession,
               clock: FakeClock) -> AsyncIterator[Case]:
    fake: FakeServer = FakeStripeAPI() if request.param == "stripe" else FakeZohoBillingAPI()
    async with fake:
        if isinstance(fake, FakeStripeAPI):
            built = stripe_case(fake, http, clock)
        else:
            assert isinstance(fake, FakeZohoBillingAPI)
            built = zoho_case(fake, http, clock)
        yield built
        await built.provider.close()


async def test_find_by_email_none_one_several(case: Case) -> None:
    assert await case.provider.find(email=EMAIL) == []
    first = case.story.customer()
    case.story.customer(email="bob@example.com", name="Bob")
    found = await case.provider.find(email=EMAIL)
    assert [(c.provider, c.id, c.name, c.email) for c in found] == [
        (case.name, first, NAME, EMAIL)]
    second = case.story.customer(name="Ann L. (second account)")
    found = await case.provider.find(email=EMAIL)
    assert sorted(c.id for c in found) == sorted([first, second])


async def test_an_email_with_a_quote_is_matched_exactly(case: Case) -> None:
    wanted = case.story.customer(email="o'brien+x@example.com")
    case.story.customer(email="obrien+x@example.com")
    assert [c.id for c in await case.provider.find(email="o'brien+x@example.com")] == [wanted]
    assert case.fake.faults == []  # Stripe: the search query was well formed


async def test_context_reads_every_page_in_minor_units(case: Case) -> None:
    customer_id = case.story.seed()
    ctx = await case.provider.context(CustomerRef(case.name, customer_id))
    assert ctx.customer.name == NAME and ctx.customer.email == EMAIL
    assert ctx.credits == Money(500, "USD")
    assert ctx.balance == Money(5900, "USD")
    assert ctx.billing_address == Address(**ADDRESS)  # type: ignore[arg-type]
    assert ctx.shipping_address == Address(**ADDRESS)  # type: ignore[arg-type]
    subs = {s.plan: s for s in ctx.subscriptions}
    assert {p: (s.status, s.amount, s.interval) for p, s in subs.items()} == {
        "Pro": ("active", Money(1999, "USD"), "month"),
        "Team": ("past_due", Money(4900, "USD"), "month"),
        "Legacy": ("canceled", Money(999, "USD"), "month")}
    assert subs["Pro"].renews_on == date(2026, 12, 1)
    assert subs["Pro"].started_on == date(2026, 1, 1)
    assert subs["Legacy"].renews_on is None
    assert subs["Legacy"].canceled_on == date(2025, 6, 1)
    assert len(subs["Pro"].invoices) == 2 and len(subs["Team"].invoices) == 1


async def test_invoices_newest_first_with_overdue_and_failed_payment(case: Case) -> None:
    ctx = await case.provider.context(CustomerRef(case.name, case.story.seed()))
    assert [(i.issued_on, i.status, i.total.amount, i.amount_due.amount)
            for i in ctx.invoices] == [
        (date(2026, 10, 21), "open", 1000, 1000),
        (date(2026, 10, 6), "overdue", 4900, 4900),
        (date(2026, 10, 1), "paid", 1999, 0),
        (date(2026, 9, 1), "paid", 1999, 0)]
    assert ctx.payment_failed
    assert all(i.url.startswith("https://") and i.number for i in ctx.invoices)
    assert ctx.invoices[1].due_on == date(2026, 10, 20)


async def test_activity_from_subscriptions_and_invoices(case: Case) -> None:
    ctx = await case.provider.context(CustomerRef(case.name, case.story.seed()))
    lines = [(e.on, e.text) for e in ctx.activity]
    assert lines == sorted(lines, key=lambda line: line[0], reverse=True)
    texts = [e.text for e in ctx.activity]
    assert (date(2026, 12, 1), "Subscription Pro renews") in lines
    assert (date(2026, 1, 1), "Subscription Pro started") in lines
    assert (date(2025, 6, 1), "Subscription Legacy canceled") in lines
    assert sum(t.startswith("Invoice ") and t.endswith(" issued") for t in texts) == 4


@pytest.mark.parametrize(("currency", "minor", "decimal"), [
    ("USD", 1999, 19.99), ("JPY", 5000, 5000), ("KWD", 12345, 12.345), ("EUR", 10, 0.1)])
async def test_amounts_follow_the_currency_exponent(case: Case, currency: str, minor: int,
                                                    decimal: float) -> None:
    customer_id = case.story.customer()
    case.story.priced(customer_id, currency, minor, decimal)
    ctx = await case.provider.context(CustomerRef(case.name, customer_id))
    assert [s.amount for s in ctx.subscriptions] == [Money(minor, currency)]


async def test_rate_limit_is_retryable_with_retry_after(case: Case) -> None:
    case.story.customer()
    case.fake.fail_next(case.story.find_method, status=429, retry_after=7)
    with pytest.raises(RetryableError) as caught:
        await case.provider.find(email=EMAIL)
    assert caught.value.retry_after == 7.0
    case.fake.fail_next("invoices.list", status=429)
    with pytest.raises(RetryableError) as caught:
        await case.provider.context(CustomerRef(case.name, case.story.seed()))
    assert caught.value.retry_after is None and caught.value.code == "ratelimited"


async def test_server_error_and_network_are_retryable(case: Case) -> None:
    case.fake.fail_next("subscriptions.list", status=503)
    with pytest.raises(RetryableError):
        await case.provider.context(CustomerRef(case.name, case.story.seed()))
    # aiohttp itself retries an idempotent request once on a pooled connection
    case.fake.drop_next(case.story.find_method, times=2)
    with pytest.raises(RetryableError) as caught:
        await case.provider.find(email=EMAIL)
    assert caught.value.code == "network"


async def test_unknown_customer_is_permanent_with_the_providers_message(case: Case) -> None:
    with pytest.raises(PermanentError) as caught:
        await case.provider.context(CustomerRef(case.name, "404/../404"))
    assert ("No such customer" in caught.value.reason
            or "valid reference for the customer" in caught.value.reason)


async def test_refused_credentials_are_permanent(case: Case, http: aiohttp.ClientSession,
                                                 clock: FakeClock) -> None:
    if isinstance(case.fake, FakeStripeAPI):
        wrong = stripe_case(case.fake, http, clock, key="sk_test_wrong")
    else:
        assert isinstance(case.fake, FakeZohoBillingAPI)
        wrong = zoho_case(case.fake, http, clock, refresh_token="1000.revoked")
    with pytest.raises(PermanentError) as caught:
        await wrong.provider.find(email=EMAIL)
    assert caught.value.code == "credentials"
    assert "refused the credentials" in caught.value.reason
    case.fake.fail_next(case.story.find_method, status=403)
    with pytest.raises(PermanentError) as caught:
        await case.provider.find(email=EMAIL)
    assert caught.value.code == "credentials"


async def test_nothing_of_the_customer_is_logged(case: Case,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    customer_id = case.story.seed()
    await case.provider.find(email=EMAIL)
    await case.provider.context(CustomerRef(case.name, customer_id))
    case.fake.fail_next("invoices.list", status=500)
    with pytest.raises(RetryableError):
        await case.provider.context(CustomerRef(case.name, customer_id))
    logged = caplog.text
    for secret in (EMAIL, "Ann", "Rivoli", "19.99", "1999", "4900", "sk_test_fake",
                   "1000.access", "1000.refresh", customer_id):
        assert secret not in logged


# -- Zoho's access token -------------------------------------------------------------------

@pytest.fixture
async def zoho(http: aiohttp.ClientSession, clock: FakeClock) -> AsyncIterator[Case]:
    async with FakeZohoBillingAPI() as fake:
        yield zoho_case(fake, http, clock)


def issued(case: Case) -> int:
    assert isinstance(case.fake, FakeZohoBillingAPI)
    return case.fake.issued


async def test_zoho_token_is_cached_then_renewed_before_it_expires(zoho: Case,
                                                                   clock: FakeClock) -> None:
    ref = CustomerRef("zoho_billing", zoho.story.seed())
    await zoho.provider.context(ref)
    await zoho.provider.find(email=EMAIL)
    assert issued(zoho) == 1
    clock.advance(3600 - 60)
    await zoho.provider.find(email=EMAIL)
    assert issued(zoho) == 2 and not zoho.fake.faults


async def test_zoho_token_expired_mid_call_is_refreshed_once(zoho: Case) -> None:
    assert isinstance(zoho.fake, FakeZohoBillingAPI)
    ref = CustomerRef("zoho_billing", zoho.story.seed())
    await zoho.provider.find(email=EMAIL)
    zoho.fake.expire_tokens()
    ctx = await zoho.provider.context(ref)
    assert len(ctx.invoices) == 4 and issued(zoho) == 2
    assert zoho.fake.faults == [("customers.retrieve", "error:token")]


async def test_zoho_concurrent_calls_share_one_refresh(zoho: Case) -> None:
    assert isinstance(zoho.fake, FakeZohoBillingAPI)
    ref = CustomerRef("zoho_billing", zoho.story.seed())
    await zoho.provider.find(email=EMAIL)
    zoho.fake.expire_tokens()
    contexts = await asyncio.gather(*(zoho.provider.context(ref) for _ in range(4)))
    assert all(len(c.subscriptions) == 3 for c in contexts)
    assert issued(zoho) == 2


async def test_zoho_token_refused_twice_is_permanent(zoho: Case) -> None:
    zoho.story.customer()
    zoho.fake.fail_next("customers.list", status=401, times=2)
    with pytest.raises(PermanentError) as caught:
        await zoho.provider.find(email=EMAIL)
    assert caught.value.code == "credentials" and issued(zoho) == 2


async def test_zoho_cannot_search_by_phone(zoho: Case) -> None:
    zoho.story.customer()
    assert await zoho.provider.find(phone="+33612345678") == []
    assert not zoho.fake.attempts["customers.list"]


# -- Stripe specifics ----------------------------------------------------------------------

@pytest.fixture
async def stripe(http: aiohttp.ClientSession, clock: FakeClock) -> AsyncIterator[Case]:
    async with FakeStripeAPI() as fake:
        yield stripe_case(fake, http, clock)


async def test_stripe_finds_by_phone(stripe: Case) -> None:
    wanted = stripe.story.customer(email="other@example.com", phone="+33612345678")
    stripe.story.customer()
    found = await stripe.provider.find(phone="+33612345678")
    assert [c.id for c in found] == [wanted]
    assert found[0].url.endswith(f"/test/customers/{wanted}")


async def test_stripe_without_search_falls_back_to_the_email_filter(stripe: Case) -> None:
    assert isinstance(stripe.fake, FakeStripeAPI)
    stripe.fake.search_available = False
    wanted = stripe.story.customer()
    assert [c.id for c in await stripe.provider.find(email=EMAIL)] == [wanted]
    assert stripe.fake.attempts["customers.list"] == 1


async def test_stripe_pins_its_api_version(stripe: Case) -> None:
    stripe.story.customer()
    await stripe.provider.find(email=EMAIL)
    assert {c["version"] for c in stripe.fake.calls_to("customers.search")} == {
        "2025-03-31.basil"}


async def test_stripe_subscription_ending_at_period_end_does_not_renew(stripe: Case) -> None:
    assert isinstance(stripe.fake, FakeStripeAPI)
    customer = stripe.story.customer()
    product = stripe.fake.add_product("Pro")
    stripe.fake.add_subscription(customer, product=product, unit_amount=1999,
                                 start_date=ts("2026-01-01"),
                                 current_period_end=ts("2026-12-01"),
                                 cancel_at_period_end=True, canceled_at=ts("2026-10-15"))
    ctx = await stripe.provider.context(CustomerRef("stripe", customer))
    assert [(s.status, s.renews_on) for s in ctx.subscriptions] == [("active", None)]
    assert [e.text for e in ctx.activity] == ["Subscription Pro canceled",
                                              "Subscription Pro started"]
