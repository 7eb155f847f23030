"""The CRM adapter contract: one ABC, one module per vendor (see ``bot/crm/__init__.py``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from bot.models import Lead

if TYPE_CHECKING:
    from bot.outbox import Handler

Activity = dict[str, Any]
"""One entry of a lead's feed: ``{"kind": "note"|"transcript"|"message", "at": iso,
"author": ..., "text": ...}`` plus kind-specific keys (``direction``, ``message_id``)."""


def lead_json(lead: Lead) -> dict[str, Any]:
    """A lead as plain JSON: every field flat, plus a ``customer`` block for readers that
    want the person's details together (the export and the webhook share this shape)."""
    doc: dict[str, Any] = {f.name: getattr(lead, f.name) for f in fields(lead)}
    doc["created_at"] = lead.created_at.isoformat()
    doc["tags"] = list(lead.tags)
    doc["activity"] = [dict(entry) for entry in lead.activity]
    doc["customer"] = {
        "name": " ".join(p for p in (lead.first_name, lead.last_name) if p),
        **{k: doc[k] for k in ("first_name", "last_name", "username", "email", "phone",
                               "company", "language", "channel")}}
    return doc


class BaseCrm(ABC):
    """Where leads live. ``BuiltinCrm`` keeps them in the bot's store; other adapters
    also push them to a vendor. Every method may raise :class:`bot.errors.BridgeError`."""

    @abstractmethod
    async def create_lead(self, lead: Lead) -> tuple[Lead, bool]:
        """Store a new lead; a conversation has at most one.

        :param lead: the lead to create (its ``id`` is ignored)
        :return: (the conversation's lead with its id, True when this call created it;
            False when the conversation already had one, which is returned unchanged)
        """

    @abstractmethod
    async def update_lead(self, lead: Lead) -> None:
        """Persist the lead's fields. The activity feed is left alone: it only grows
        through :meth:`add_note` and :meth:`add_activity`.

        :param lead: a lead returned by :meth:`create_lead`, with changed fields
        """

    @abstractmethod
    async def add_note(self, lead: Lead, text: str, *, author: str) -> None:
        """Append a ``note`` entry to the lead's activity feed.

        :param author: the Slack user id (or name) who wrote it
        """

    @abstractmethod
    async def add_activity(self, lead: Lead, entry: Activity) -> None:
        """Append any activity entry (a transcript, a relayed message) to the feed.

        :param entry: see :data:`Activity`; ``kind`` and ``at`` are required
        """

    @abstractmethod
    async def find_by_email(self, email: str) -> list[Lead]:
        """:return: leads whose email matches, ignoring case"""

    @abstractmethod
    async def find_by_phone(self, phone: str) -> list[Lead]:
        """:return: leads whose phone has the same digits (spaces, dashes ignored)"""

    @abstractmethod
    async def list_owners(self) -> list[str]:
        """:return: the people leads can be given to, as Slack user ids"""

    @abstractmethod
    async def list_sources(self) -> list[str]:
        """:return: the lead sources the CRM accepts"""

    @abstractmethod
    async def close(self) -> None:
        """Release what the adapter owns (never the shared HTTP session or store)."""

    def handlers(self) -> Mapping[str, Handler]:
        """The adapter's outbox job handlers, if it has any. The default has none."""
        return {}
