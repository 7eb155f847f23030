"""Customer context from billing providers (Stripe, Zoho Billing): who the operator is
talking to, their subscriptions, invoices and balance, shown in the thread.

Providers come from an explicit registry; each one is on when its credentials are set.
"""

from __future__ import annotations

import aiohttp

from bot.billing.base import BaseBillingProvider
from bot.billing.settings import BillingSettings, billing_from_env
from bot.billing.stripe import StripeBilling
from bot.billing.zoho import ZohoBilling
from bot.billing.zoho_auth import ZohoToken
from bot.lifecycle.clock import Clock

PROVIDERS: dict[str, type[BaseBillingProvider]] = {
    "stripe": StripeBilling, "zoho_billing": ZohoBilling}


def create_providers(settings: BillingSettings, *, http: aiohttp.ClientSession,
                     clock: Clock) -> list[BaseBillingProvider]:
    """The providers whose credentials are set, in registry order.

    :param http: the app's shared session; the providers never close it
    """
    providers: list[BaseBillingProvider] = []
    if settings.stripe.enabled:
        providers.append(StripeBilling(http=http, clock=clock, api_base=settings.stripe.api_base,
                                       secret_key=str(settings.stripe.secret_key)))
    zoho = settings.zoho
    if zoho.enabled:
        token = ZohoToken(http=http, clock=clock, client_id=zoho.client_id,
                          client_secret=str(zoho.client_secret),
                          refresh_token=str(zoho.refresh_token),
                          accounts_url=zoho.accounts_url)
        providers.append(ZohoBilling(http=http, token=token, clock=clock,
                                     organization_id=zoho.organization_id,
                                     api_base=zoho.api_base))
    return providers


__all__ = ["PROVIDERS", "BaseBillingProvider", "BillingSettings", "StripeBilling",
           "ZohoBilling", "billing_from_env", "create_providers"]
