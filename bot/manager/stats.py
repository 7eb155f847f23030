"""The desk's figures, computed from stored conversations and leads and a ``now``. Pure.

Definitions (also in the README):

- a conversation counts in a period when it was created in ``[now - days, now]``; a lead
  when it was created in that period;
- *accepted*: it has an assignee and is not declined; *declined*: its status is declined;
  the rates divide by every conversation of the period;
- *first-response time*: wall-clock time from the conversation's creation to the first
  operator reply relayed to the customer; median, and p90 by nearest rank (the value at
  rank ``ceil(0.9 n)`` of the sorted times);
- *response-time estimate* (what Google's Local Services shows customers): over the
  conversations created in the last 90 days and answered, the average of their
  first-response times counted in business seconds only (the desk's hours, else 07:00-21:00
  UTC every day), each weighted by ``0.5 ** (age_days / 30)``: exponential decay with a
  30-day half-life, ``age_days`` measured from the conversation's creation to ``now``;
- per operator: the conversations they handled (their assignee, or who declined it) and the
  leads they created.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.manager.hours import DEFAULT_HOURS, BusinessHours
from bot.models import Conversation, Lead, Status

HALF_LIFE_DAYS = 30.0
ESTIMATE_DAYS = 90
#: upper bounds (business seconds) of the phrases customers see; above the last: "a day"
PHRASES = ((15 * 60, "minutes"), (60 * 60, "hour"), (6 * 60 * 60, "hours"))


@dataclass(frozen=True, slots=True)
class Figures:
    conversations: int
    leads: int
    accepted: int
    declined: int
    answered: int
    median_first_response: float | None
    p90_first_response: float | None
    #: business seconds; None when nothing was answered in the last 90 days
    estimate: float | None

    @property
    def accept_rate(self) -> float | None:
        return self.accepted / self.conversations if self.conversations else None

    @property
    def decline_rate(self) -> float | None:
        return self.declined / self.conversations if self.conversations else None


@dataclass(frozen=True, slots=True)
class Report:
    days: int
    overall: Figures
    operators: tuple[tuple[str, Figures], ...]


def report(convs: Sequence[Conversation], leads: Sequence[Lead], *, now: datetime, days: int,
           hours: BusinessHours | None = None, operator: str = "") -> Report:
    """The figures of the last ``days`` (all, or one ``operator``'s), and per operator."""
    hours = hours or DEFAULT_HOURS
    if operator:
        convs = [c for c in convs if handler_of(c) == operator]
        leads = [lead for lead in leads if lead.created_by == operator]
    people = sorted({handler_of(c) for c in convs if created_within(c.created_at, now, days)}
                    - {""})
    per_operator = tuple((person, figures(
        [c for c in convs if handler_of(c) == person],
        [lead for lead in leads if lead.created_by == person], now=now, days=days, hours=hours))
        for person in people)
    return Report(days, figures(convs, leads, now=now, days=days, hours=hours), per_operator)


def figures(convs: Sequence[Conversation], leads: Sequence[Lead], *, now: datetime, days: int,
            hours: BusinessHours) -> Figures:
    recent = [c for c in convs if created_within(c.created_at, now, days)]
    times = sorted(t for c in recent if (t := first_response_seconds(c)) is not None)
    return Figures(
        conversations=len(recent),
        leads=sum(created_within(lead.created_at, now, days) for lead in leads),
        accepted=sum(is_accepted(c) for c in recent),
        declined=sum(c.status is Status.DECLINED for c in recent),
        answered=len(times),
        median_first_response=statistics.median(times) if times else None,
        p90_first_response=percentile(times, 0.9),
        estimate=estimate(convs, now=now, hours=hours))


def estimate(convs: Sequence[Conversation], *, now: datetime,
             hours: BusinessHours) -> float | None:
    """Recency-weighted average of business-hours first-response times (last 90 days)."""
    pairs = [(weight(c.created_at, now), hours.business_seconds(c.created_at, answered))
             for c in convs if (answered := c.first_response_at) is not None
             and created_within(c.created_at, now, ESTIMATE_DAYS)]
    total = sum(w for w, _ in pairs)
    return sum(w * x for w, x in pairs) / total if total else None


def weight(created_at: datetime, now: datetime) -> float:
    age_days = max(0.0, (now - created_at).total_seconds() / 86400)
    return math.pow(0.5, age_days / HALF_LIFE_DAYS)


def phrase(seconds: float) -> str:
    """The estimate's phrase key: ``minutes``, ``hour``, ``hours`` or ``day``."""
    return next((key for bound, key in PHRASES if seconds <= bound), "day")


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile of already sorted values."""
    if not ordered:
        return None
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def created_within(created_at: datetime, now: datetime, days: int) -> bool:
    return now - timedelta(days=days) <= created_at <= now


def first_response_seconds(conv: Conversation) -> float | None:
    if conv.first_response_at is None:
        return None
    return max(0.0, (conv.first_response_at - conv.created_at).total_seconds())


def is_accepted(conv: Conversation) -> bool:
    return bool(conv.assignee) and conv.status is not Status.DECLINED


def handler_of(conv: Conversation) -> str:
    """Who handled it: the assignee, or for a declined conversation whoever declined it."""
    if conv.assignee:
        return conv.assignee
    action = conv.extra.get("last_action") or {}
    return str(action.get("by", "")) if conv.status is Status.DECLINED else ""
