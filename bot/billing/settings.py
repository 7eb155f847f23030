"""The billing providers' settings: a provider is on when its credentials are set.

Stripe: ``STRIPE_SECRET_KEY`` (a secret ``sk_…`` or restricted ``rk_…`` key) and
``STRIPE_API_BASE``. Zoho Billing: ``ZOHO_BILLING_ORGANIZATION_ID``, ``ZOHO_BILLING_API_BASE``
and the OAuth client shared with the CRM: ``ZOHO_CLIENT_ID``, ``ZOHO_CLIENT_SECRET``,
``ZOHO_REFRESH_TOKEN``, ``ZOHO_ACCOUNTS_URL`` (the data centre's accounts server).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.billing.stripe import DEFAULT_API_BASE as STRIPE_API_BASE
from bot.billing.zoho import DEFAULT_API_BASE as ZOHO_API_BASE
from bot.billing.zoho_auth import DEFAULT_ACCOUNTS_URL
from bot.env_reader import EnvReader, Secret


@dataclass(frozen=True)
class StripeSettings:
    secret_key: Secret = Secret("")
    api_base: str = STRIPE_API_BASE

    @property
    def enabled(self) -> bool:
        return bool(self.secret_key)


@dataclass(frozen=True)
class ZohoBillingSettings:
    organization_id: str = ""
    api_base: str = ZOHO_API_BASE
    client_id: str = ""
    client_secret: Secret = Secret("")
    refresh_token: Secret = Secret("")
    accounts_url: str = DEFAULT_ACCOUNTS_URL

    @property
    def enabled(self) -> bool:
        return bool(self.organization_id)


@dataclass(frozen=True)
class BillingSettings:
    stripe: StripeSettings = field(default_factory=StripeSettings)
    zoho: ZohoBillingSettings = field(default_factory=ZohoBillingSettings)


def billing_from_env(r: EnvReader) -> BillingSettings:
    """Read every billing variable; problems go to ``r.problems``."""
    return BillingSettings(stripe=_stripe(r), zoho=_zoho(r))


def _stripe(r: EnvReader) -> StripeSettings:
    s = StripeSettings(secret_key=r.secret("STRIPE_SECRET_KEY"),
                       api_base=_url(r, "STRIPE_API_BASE", STRIPE_API_BASE))
    r.require(not s.secret_key or s.secret_key.startswith(("sk_", "rk_")),
              "STRIPE_SECRET_KEY: expected a secret key (sk_…) or a restricted key (rk_…); "
              "a publishable key (pk_…) cannot read customers")
    return s


def _zoho(r: EnvReader) -> ZohoBillingSettings:
    s = ZohoBillingSettings(
        organization_id=r.text("ZOHO_BILLING_ORGANIZATION_ID"),
        api_base=_url(r, "ZOHO_BILLING_API_BASE", ZOHO_API_BASE),
        client_id=r.text("ZOHO_CLIENT_ID"), client_secret=r.secret("ZOHO_CLIENT_SECRET"),
        refresh_token=r.secret("ZOHO_REFRESH_TOKEN"),
        accounts_url=_url(r, "ZOHO_ACCOUNTS_URL", DEFAULT_ACCOUNTS_URL))
    if s.enabled:
        missing = [name for name, value in (("ZOHO_CLIENT_ID", s.client_id),
                                            ("ZOHO_CLIENT_SECRET", s.client_secret),
                                            ("ZOHO_REFRESH_TOKEN", s.refresh_token))
                   if not value]
        r.require(not missing, f"ZOHO_BILLING_ORGANIZATION_ID is set but {', '.join(missing)} "
                               f"{'is' if len(missing) == 1 else 'are'} not")
    return s


def _url(r: EnvReader, name: str, default: str) -> str:
    value = r.text(name, default).rstrip("/")
    parts = urlsplit(value)
    r.require(parts.scheme in ("http", "https") and bool(parts.netloc),
              f"{name}: expected an http(s) URL such as {default}")
    return value
