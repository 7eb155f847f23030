"""CRM adapters, chosen by ``CRM`` from an explicit registry (no dynamic import)."""

from __future__ import annotations

import aiohttp

from bot.config import CrmSettings
from bot.crm.base import BaseCrm
from bot.crm.builtin import BuiltinCrm
from bot.crm.webhook import WebhookCrm
from bot.lifecycle.clock import Clock
from bot.outbox import Outbox
from storage.base import BaseStorage

CRMS: dict[str, type[BaseCrm]] = {"builtin": BuiltinCrm, "webhook": WebhookCrm}


def create_crm(settings: CrmSettings, *, storage: BaseStorage, outbox: Outbox,
               http: aiohttp.ClientSession, clock: Clock) -> BaseCrm:
    """Build the configured adapter (its outbox jobs: :meth:`BaseCrm.handlers`).

    :param http: the app's shared session; the adapter never closes it
    """
    if settings.kind not in CRMS:
        raise ValueError(f"unknown CRM {settings.kind!r}; known: {', '.join(CRMS)}")
    crm: BaseCrm
    if CRMS[settings.kind] is WebhookCrm:
        crm = WebhookCrm(storage=storage, outbox=outbox, http=http, clock=clock,
                         url=settings.webhook_url, secret=str(settings.webhook_secret))
    else:
        crm = BuiltinCrm(storage, clock=clock)
    return crm


__all__ = ["CRMS", "BaseCrm", "BuiltinCrm", "WebhookCrm", "create_crm"]
