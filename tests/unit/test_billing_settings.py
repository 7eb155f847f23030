"""Which billing providers are on, from the environment, and the amounts' minor units."""

from __future__ import annotations

import aiohttp
import pytest

from bot.billing import PROVIDERS, create_providers
from bot.billing.currency import to_minor
from bot.billing.settings import BillingSettings, billing_from_env
from bot.billing.stripe import StripeBilling
from bot.billing.zoho import ZohoBilling
from bot.env_reader import EnvReader
from tests.support.clock import FakeClock

ZOHO = {"ZOHO_BILLING_ORGANIZATION_ID": "10234695", "ZOHO_CLIENT_ID": "1000.ID",
        "ZOHO_CLIENT_SECRET": "s3cret", "ZOHO_REFRESH_TOKEN": "1000.refresh"}


def read(env: dict[str, str]) -> tuple[BillingSettings, list[str]]:
    reader = EnvReader(env)
    return billing_from_env(reader), reader.problems


async def built(settings: BillingSettings) -> list[str]:
    async with aiohttp.ClientSession() as http:
        return [p.name for p in create_providers(settings, http=http, clock=FakeClock())]


async def test_nothing_set_turns_no_provider_on() -> None:
    settings, problems = read({})
    assert problems == [] and await built(settings) == []
    assert settings.stripe.api_base == "https://api.stripe.com"
    assert settings.zoho.api_base == "https://www.zohoapis.com"
    assert settings.zoho.accounts_url == "https://accounts.zoho.com"


async def test_each_provider_is_on_when_its_credentials_are_set() -> None:
    settings, problems = read({"STRIPE_SECRET_KEY": "rk_live_abc", **ZOHO,
                               "ZOHO_ACCOUNTS_URL": "https://accounts.zoho.eu/",
                               "ZOHO_BILLING_API_BASE": "https://www.zohoapis.eu"})
    assert problems == []
    assert await built(settings) == ["stripe", "zoho_billing"]
    assert settings.zoho.accounts_url == "https://accounts.zoho.eu"
    assert "s3cret" not in repr(settings) and "rk_live_abc" not in repr(settings)


async def test_zoho_client_alone_is_the_crms_and_leaves_billing_off() -> None:
    env = {k: v for k, v in ZOHO.items() if k != "ZOHO_BILLING_ORGANIZATION_ID"}
    settings, problems = read(env)
    assert problems == [] and await built(settings) == []


def test_every_problem_is_named() -> None:
    _, problems = read({"STRIPE_SECRET_KEY": "pk_live_abc", "STRIPE_API_BASE": "api.stripe",
                        "ZOHO_BILLING_ORGANIZATION_ID": "1", "ZOHO_CLIENT_ID": "x"})
    assert len(problems) == 3
    assert problems[0].startswith("STRIPE_API_BASE: expected an http(s) URL")
    assert "publishable key" in problems[1]
    assert problems[2] == ("ZOHO_BILLING_ORGANIZATION_ID is set but ZOHO_CLIENT_SECRET, "
                           "ZOHO_REFRESH_TOKEN are not")


def test_the_registry_names_match_the_providers() -> None:
    assert PROVIDERS == {"stripe": StripeBilling, "zoho_billing": ZohoBilling}
    assert all(cls.name == name for name, cls in PROVIDERS.items())


@pytest.mark.parametrize(("amount", "currency", "minor"), [
    (19.99, "USD", 1999), ("0.1", "EUR", 10), (5000, "JPY", 5000), (12.345, "KWD", 12345),
    (1.2345, "BHD", 1235), (0.005, "usd", 1), (-5.5, "USD", -550), (None, "USD", 0),
    ("", "GBP", 0), ("n/a", "USD", 0), (1e400, "USD", 0)])
def test_decimal_amounts_become_minor_units(amount: object, currency: str, minor: int) -> None:
    assert to_minor(amount, currency) == minor
