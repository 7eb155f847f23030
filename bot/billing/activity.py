"""What both providers derive the same way: invoice status against the due date, and the
activity lines (rendered from ``templates/billing/activity.txt.j2``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.billing.base import Event
from bot.rendering import Renderer

UNPAID = ("open", "overdue")


def invoice_status(word: str, due_on: date | None, today: date) -> str:
    """``open`` becomes ``overdue`` once ``due_on`` has passed."""
    if word == "open" and due_on is not None and due_on < today:
        return "overdue"
    return word


@dataclass(frozen=True, slots=True)
class Fact:
    """One dated thing that happened (``kind``: ``started``, ``renews``, ``canceled``,
    ``ended``, ``issued``, ``paid``, ``voided``, ``payment_failed``, ``overdue``) to
    ``subject`` (a plan name or an invoice number)."""

    on: date | None
    kind: str
    subject: str


def events(facts: list[Fact], renderer: Renderer) -> tuple[Event, ...]:
    """The facts that have a date, as activity lines, newest first."""
    dated = sorted((f for f in facts if f.on is not None), key=lambda f: f.on or date.min,
                   reverse=True)
    return tuple(Event(on=f.on, text=renderer.render("billing/activity.txt", kind=f.kind,
                                                     subject=f.subject))
                 for f in dated if f.on is not None)
