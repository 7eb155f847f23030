"""The default CRM: leads live in the bot's own store, listed by ``/leads`` and exported."""

from __future__ import annotations

import re
from dataclasses import fields

from bot.crm.base import Activity, BaseCrm
from bot.keyed_locks import KeyedLocks
from bot.lifecycle.clock import Clock, SystemClock
from bot.models import Lead
from bot.preferences import preference
from storage.base import BaseStorage

# update_lead never writes these: the feed only grows through add_activity.
_FEED = "activity"


def phone_digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


class BuiltinCrm(BaseCrm):
    """Leads in the bot's store.

    Read-modify-write of one lead is serialized per lead within this process, so a note
    and an update racing each other both land. Across processes the store offers no
    atomic append; the window is a few milliseconds.
    """

    def __init__(self, storage: BaseStorage, *, clock: Clock | None = None) -> None:
        self.storage = storage
        self.clock: Clock = clock or SystemClock()
        self._locks = KeyedLocks()

    async def create_lead(self, lead: Lead) -> tuple[Lead, bool]:
        return await self.storage.create_lead(lead)

    async def update_lead(self, lead: Lead) -> None:
        await self._merge_fields(lead)

    async def _merge_fields(self, lead: Lead) -> Lead:
        async with self._locks.hold(lead.id):
            stored = await self.storage.get_lead(lead.id) or lead
            for f in fields(lead):
                if f.name != _FEED:
                    setattr(stored, f.name, getattr(lead, f.name))
            await self.storage.save_lead(stored)
        lead.activity = stored.activity
        return stored

    async def add_note(self, lead: Lead, text: str, *, author: str) -> None:
        entry = {"kind": "note", "at": self.clock.now().isoformat(), "author": author,
                 "text": text}
        await self.add_activity(lead, entry)

    async def add_activity(self, lead: Lead, entry: Activity) -> None:
        await self._append(lead, entry)

    async def _append(self, lead: Lead, entry: Activity) -> Lead:
        """Append to the stored feed (not the caller's possibly stale copy)."""
        async with self._locks.hold(lead.id):
            stored = await self.storage.get_lead(lead.id) or lead
            stored.activity.append(dict(entry))
            await self.storage.save_lead(stored)
        lead.activity = list(stored.activity)
        return stored

    async def find_by_email(self, email: str) -> list[Lead]:
        wanted = email.strip().casefold()
        return [lead for lead in await self.storage.list_leads()
                if wanted and lead.email.strip().casefold() == wanted]

    async def find_by_phone(self, phone: str) -> list[Lead]:
        wanted = phone_digits(phone)
        return [lead for lead in await self.storage.list_leads()
                if wanted and phone_digits(lead.phone) == wanted]

    async def list_owners(self) -> list[str]:
        owners = {lead.owner for lead in await self.storage.list_leads() if lead.owner}
        for members in (await self.storage.list_pools()).values():
            owners.update(members)
        return sorted(owners)

    async def list_sources(self) -> list[str]:
        return list(await preference(self.storage, "sources"))

    async def close(self) -> None:
        """The store belongs to the app, which closes it."""

