"""One customer story told to each billing fake in its own wire format, so the contract
suite (tests/contract/test_billing.py) asks both providers the same questions.

The story, seen on 2026-11-02 (``T0``): Ann Lee (ann@example.com), USD, 5.00 of unused
credit, three subscriptions (Pro active 19.99/month renewing 2026-12-01; Team past due
49.00, its payment failed; Legacy 9.99 canceled in 2025) and four invoices (two Pro ones
paid, Team's 49.00 overdue since 2026-10-20, a 10.00 one due 2026-11-20).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp

from bot.billing.base import BaseBillingProvider
from bot.billing.stripe import StripeBilling
from bot.billing.zoho import ZohoBilling
from bot.billing.zoho_auth import ZohoToken
from tests.fakes.base import FakeServer
from tests.fakes.stripe_api import FakeStripeAPI
from tests.fakes.zoho_billing_api import FakeZohoBillingAPI
from tests.support.clock import FakeClock

EMAIL = "ann@example.com"
NAME = "Ann Lee"
ADDRESS = {"lines": ("1 Rue de Rivoli",), "city": "Paris", "postal_code": "75001",
           "region": "IDF", "country": "FR"}


def ts(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())


@dataclass
class StripeStory:
    fake: FakeStripeAPI
    find_method: str = "customers.search"

    def customer(self, email: str = EMAIL, name: str = NAME, phone: str = "") -> str:
        return str(self.fake.add_customer(email, name=name, phone=phone)["id"])

    def priced(self, customer: str, currency: str, minor: int, decimal: float) -> None:
        product = self.fake.add_product("Priced")
        self.fake.add_subscription(customer, product=product, unit_amount=minor,
                                   currency=currency.lower(), start_date=ts("2026-10-01"),
                                   current_period_end=ts("2026-12-01"))

    def seed(self) -> str:
        f = self.fake
        address = {"line1": "1 Rue de Rivoli", "line2": None, "city": "Paris",
                   "postal_code": "75001", "state": "IDF", "country": "FR"}
        cus = str(f.add_customer(EMAIL, name=NAME, balance=-500, address=address,
                                 shipping={"name": NAME, "address": address})["id"])
        legacy, pro, team = (f.add_product(n) for n in ("Legacy", "Pro", "Team"))
        f.add_subscription(cus, product=legacy, unit_amount=999, status="canceled",
                           start_date=ts("2025-01-01"), current_period_end=ts("2025-06-01"),
                           canceled_at=ts("2025-06-01"))
        pro_sub = f.add_subscription(cus, product=pro, unit_amount=1999,
                                     start_date=ts("2026-01-01"),
                                     current_period_end=ts("2026-12-01"))["id"]
        team_sub = f.add_subscription(cus, product=team, unit_amount=4900, status="past_due",
                                      start_date=ts("2026-09-20"),
                                      current_period_end=ts("2026-11-20"))["id"]
        for month in ("2026-09-01", "2026-10-01"):
            f.add_invoice(cus, total=1999, created=ts(month), subscription=pro_sub,
                          paid_at=ts(month))
        f.add_invoice(cus, total=4900, status="open", created=ts("2026-10-06"),
                      due_date=ts("2026-10-20"), subscription=team_sub, attempt_count=2)
        f.add_invoice(cus, total=1000, status="open", created=ts("2026-10-21"),
                      due_date=ts("2026-11-20"))
        return cus


@dataclass
class ZohoStory:
    fake: FakeZohoBillingAPI
    find_method: str = "customers.list"

    def customer(self, email: str = EMAIL, name: str = NAME, phone: str = "") -> str:
        return str(self.fake.add_customer(email, display_name=name)["customer_id"])

    def priced(self, customer: str, currency: str, minor: int, decimal: float) -> None:
        self.fake.add_subscription(customer, plan_name="Priced", amount=decimal,
                                   currency_code=currency, activated_at="2026-10-01",
                                   next_billing_at="2026-12-01")

    def seed(self) -> str:
        f = self.fake
        address = {"street": "1 Rue de Rivoli", "city": "Paris", "zip": "75001",
                   "state": "IDF", "country": "FR"}
        cus = str(f.add_customer(EMAIL, display_name=NAME, unused_credits=5.0,
                                 outstanding=59.0, billing_address=address,
                                 shipping_address=address)["customer_id"])
        f.add_subscription(cus, plan_name="Legacy", amount=9.99, status="cancelled",
                           activated_at="2025-01-01", cancelled_at="2025-06-01")
        pro = f.add_subscription(cus, plan_name="Pro", amount=19.99, activated_at="2026-01-01",
                                 next_billing_at="2026-12-01")["subscription_id"]
        team = f.add_subscription(cus, plan_name="Team", amount=49.0, status="dunning",
                                  activated_at="2026-09-20",
                                  next_billing_at="2026-11-20")["subscription_id"]
        for month in ("2026-09-01", "2026-10-01"):
            f.add_invoice(cus, total=19.99, invoice_date=month, subscription_id=pro)
        f.add_invoice(cus, total=49.0, status="overdue", invoice_date="2026-10-06",
                      due_date="2026-10-20", subscription_id=team)
        f.add_invoice(cus, total=10.0, status="sent", invoice_date="2026-10-21",
                      due_date="2026-11-20")
        return cus


@dataclass
class Case:
    name: str
    provider: BaseBillingProvider
    fake: FakeServer
    story: StripeStory | ZohoStory


def stripe_case(fake: FakeStripeAPI, http: aiohttp.ClientSession, clock: FakeClock,
                key: str = "sk_test_fake") -> Case:
    provider = StripeBilling(http=http, secret_key=key, clock=clock, api_base=fake.url)
    return Case("stripe", provider, fake, StripeStory(fake))


def zoho_case(fake: FakeZohoBillingAPI, http: aiohttp.ClientSession, clock: FakeClock,
              refresh_token: str = "1000.refresh") -> Case:
    token = ZohoToken(http=http, clock=clock, client_id=fake.client_id,
                      client_secret=fake.client_secret, refresh_token=refresh_token,
                      accounts_url=fake.url)
    provider = ZohoBilling(http=http, token=token, organization_id=fake.organization_id,
                           clock=clock, api_base=fake.url)
    return Case("zoho_billing", provider, fake, ZohoStory(fake))
