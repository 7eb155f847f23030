"""Pure lifecycle rules: which deadlines a conversation waits for, which one has fired, and
whether a customer's new message reopens a closed conversation.

Every deadline is derived from timestamps stored on the conversation, so a restarted
process computes the same ones; a fired timer leaves a mark or a new status behind, so it
never fires twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from bot.lifecycle.policy import LifecyclePolicy
from bot.models import Conversation, Status


class Transition(StrEnum):
    MISSED = "missed"              # new, unanswered: flag it and ping the owner
    CLOSE_MISSED = "close_missed"  # missed and still unanswered: close it
    IDLE_CLOSE = "idle_close"      # active, nobody wrote: close it
    INACTIVE = "inactive"          # active, no interaction for long: inactive


# When several deadlines have passed (the sweeper was down), the later stage wins: a
# conversation overdue for closing is closed rather than flagged first.
PRECEDENCE = (Transition.CLOSE_MISSED, Transition.MISSED, Transition.IDLE_CLOSE,
              Transition.INACTIVE)


def _when(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def waiting_since(conv: Conversation) -> datetime:
    """When the conversation began waiting for an operator: opened, or reopened by the
    customer."""
    return _when(conv.extra.get("reopened_at")) or conv.created_at


def last_activity(conv: Conversation) -> datetime:
    """The latest message either side wrote, or status change (an operator's reopen)."""
    action = conv.extra.get("last_action") or {}
    stamps = (conv.created_at, conv.last_customer_at, conv.last_operator_at,
              _when(action.get("at")), _when(conv.extra.get("reopened_at")))
    return max(s for s in stamps if s is not None)


def deadlines(conv: Conversation, policy: LifecyclePolicy) -> dict[Transition, datetime]:
    """The timers still pending in the conversation's status, overdue ones included."""
    if conv.status is Status.NEW and policy.missed_after:
        missed = waiting_since(conv) + policy.missed_after
        pending = {Transition.CLOSE_MISSED: missed + policy.missed_close_after}
        if "missed_at" not in conv.extra:
            pending[Transition.MISSED] = missed
        return pending
    if conv.status is Status.ACTIVE:
        idle, pending = last_activity(conv), {}
        if policy.idle_close_after:
            pending[Transition.IDLE_CLOSE] = idle + policy.idle_close_after
        if policy.inactive_after:
            pending[Transition.INACTIVE] = idle + policy.inactive_after
        return pending
    return {}


def transition(conv: Conversation, now: datetime, policy: LifecyclePolicy) -> Transition | None:
    """:return: the timer that has fired at ``now``, if any"""
    due = deadlines(conv, policy)
    return next((t for t in PRECEDENCE if t in due and due[t] <= now), None)


def next_due(conv: Conversation, now: datetime, policy: LifecyclePolicy) -> datetime | None:
    """:return: when the sweeper must look again (``now`` when overdue), or ``None``"""
    due = deadlines(conv, policy)
    return max(min(due.values()), now) if due else None


def reopens_in_place(conv: Conversation, now: datetime, within: timedelta) -> bool:
    """Whether the customer's new message goes into ``conv`` (True), or opens a new
    conversation and thread (False): only a closed conversation whose thread is older than
    ``within`` is left behind."""
    if conv.status is not Status.CLOSED or not conv.has_thread:
        return True
    return now - conv.created_at < within


def reopened_status(conv: Conversation) -> Status:
    """A customer reopening a closed conversation goes back to its assignee (``active``), or
    waits for one (``new``, with the missed timer running again)."""
    return Status.ACTIVE if conv.assignee else Status.NEW
