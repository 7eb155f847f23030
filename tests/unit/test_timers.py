"""The pure lifecycle rules (bot/lifecycle/timers.py, policy.py), table-driven."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.lifecycle.policy import (
    DEFAULT_POLICY,
    LifecyclePolicy,
    lifecycle_policy,
    lifecycle_problem,
)
from bot.lifecycle.timers import (
    Transition,
    deadlines,
    last_activity,
    next_due,
    reopened_status,
    reopens_in_place,
    transition,
    waiting_since,
)
from bot.models import Conversation, ConversationKey, Status
from tests.support.factories import T0

M, H, D = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
S = timedelta(seconds=1)
IDLE_OFF = replace(DEFAULT_POLICY, idle_close_after=None)


def conv(status: Status = Status.NEW, *, customer: timedelta | None = timedelta(0),
         operator: timedelta | None = None, thread: bool = True, assignee: str = "",
         **extra: Any) -> Conversation:
    """A conversation opened at T0; ``customer``/``operator`` are offsets of the last
    message of each side."""
    return Conversation(
        id=1, key=ConversationKey("telegram", "42"), status=status, created_at=T0,
        thread_ts="1700000000.000100" if thread else "", slack_channel="C1",
        assignee=assignee, last_customer_at=None if customer is None else T0 + customer,
        last_operator_at=None if operator is None else T0 + operator, extra=dict(extra))


def at(offset: timedelta) -> str:
    return (T0 + offset).isoformat()


# -- which timer fires -----------------------------------------------------------------------
@pytest.mark.parametrize(("case", "now", "policy", "expected"), [
    # new: missed after 15 min, closed 24 h after that
    (conv(), 15 * M - S, DEFAULT_POLICY, None),
    (conv(), 15 * M, DEFAULT_POLICY, Transition.MISSED),
    (conv(missed_at=at(15 * M)), 15 * M + 24 * H - S, DEFAULT_POLICY, None),
    (conv(missed_at=at(15 * M)), 15 * M + 24 * H, DEFAULT_POLICY, Transition.CLOSE_MISSED),
    # the sweeper was down for two days: straight to closed, no ping first
    (conv(), 2 * D, DEFAULT_POLICY, Transition.CLOSE_MISSED),
    # a customer who keeps writing does not postpone "missed": nobody answered them
    (conv(customer=14 * M), 15 * M, DEFAULT_POLICY, Transition.MISSED),
    # reopened by the customer: waiting again from the reopening
    (conv(reopened_at=at(3 * D)), 3 * D + 14 * M, DEFAULT_POLICY, None),
    (conv(reopened_at=at(3 * D)), 3 * D + 15 * M, DEFAULT_POLICY, Transition.MISSED),
    (conv(), 30 * D, replace(DEFAULT_POLICY, missed_after=None), None),
    # active: idle close 24 h after the last message of either side
    (conv(Status.ACTIVE, operator=2 * H), 26 * H - S, DEFAULT_POLICY, None),
    (conv(Status.ACTIVE, operator=2 * H), 26 * H, DEFAULT_POLICY, Transition.IDLE_CLOSE),
    (conv(Status.ACTIVE, customer=5 * H, operator=2 * H), 29 * H, DEFAULT_POLICY,
     Transition.IDLE_CLOSE),
    # an operator's reopen (a status change) restarts the idle clock
    (conv(Status.ACTIVE, last_action={"verb": "reopened", "by": "U1", "at": at(3 * D)}),
     3 * D + 23 * H, DEFAULT_POLICY, None),
    # inactive after 15 days (idle close off), or closed when both are overdue
    (conv(Status.ACTIVE), 15 * D - S, IDLE_OFF, None),
    (conv(Status.ACTIVE), 15 * D, IDLE_OFF, Transition.INACTIVE),
    (conv(Status.ACTIVE), 15 * D, DEFAULT_POLICY, Transition.IDLE_CLOSE),
    (conv(Status.ACTIVE), 99 * D, replace(IDLE_OFF, inactive_after=None), None),
    # no timers in these
    (conv(Status.INACTIVE), 99 * D, DEFAULT_POLICY, None),
    (conv(Status.CLOSED), 99 * D, DEFAULT_POLICY, None),
    (conv(Status.DECLINED), 99 * D, DEFAULT_POLICY, None),
])
def test_transition(case: Conversation, now: timedelta, policy: LifecyclePolicy,
                    expected: Transition | None) -> None:
    assert transition(case, T0 + now, policy) == expected


# -- when to look again ------------------------------------------------------------------------
@pytest.mark.parametrize(("case", "now", "policy", "expected"), [
    (conv(), timedelta(0), DEFAULT_POLICY, 15 * M),
    (conv(missed_at=at(15 * M)), 15 * M, DEFAULT_POLICY, 15 * M + 24 * H),
    (conv(Status.ACTIVE, customer=H), H, DEFAULT_POLICY, 25 * H),
    (conv(Status.ACTIVE, customer=H), H, IDLE_OFF, H + 15 * D),
    (conv(Status.ACTIVE, operator=3 * H), 3 * H, DEFAULT_POLICY, 27 * H),
    # overdue: due now, never in the past
    (conv(), 20 * M, DEFAULT_POLICY, 20 * M),
    (conv(Status.INACTIVE), timedelta(0), DEFAULT_POLICY, None),
    (conv(Status.CLOSED), timedelta(0), DEFAULT_POLICY, None),
    (conv(Status.DECLINED), timedelta(0), DEFAULT_POLICY, None),
    (conv(Status.ACTIVE), timedelta(0), replace(IDLE_OFF, inactive_after=None), None),
])
def test_next_due(case: Conversation, now: timedelta, policy: LifecyclePolicy,
                  expected: timedelta | None) -> None:
    assert next_due(case, T0 + now, policy) == (None if expected is None else T0 + expected)


def test_a_fired_timer_is_no_longer_pending() -> None:
    case = conv()
    assert Transition.MISSED in deadlines(case, DEFAULT_POLICY)
    case.extra["missed_at"] = at(15 * M)
    assert set(deadlines(case, DEFAULT_POLICY)) == {Transition.CLOSE_MISSED}


@pytest.mark.parametrize(("case", "expected"), [
    (conv(), timedelta(0)),
    (conv(customer=H, operator=2 * H), 2 * H),
    (conv(customer=5 * H, operator=2 * H), 5 * H),
    (conv(customer=None), timedelta(0)),
    (conv(customer=H, reopened_at=at(2 * D)), 2 * D),
    (conv(customer=H, last_action={"verb": "accepted", "by": "U1", "at": at(3 * H)}), 3 * H),
])
def test_last_activity(case: Conversation, expected: timedelta) -> None:
    assert last_activity(case) == T0 + expected


def test_waiting_since_is_the_reopening_when_there_was_one() -> None:
    assert waiting_since(conv()) == T0
    assert waiting_since(conv(reopened_at=at(D))) == T0 + D


# -- after a close: same thread or a new one -------------------------------------------------
@pytest.mark.parametrize(("case", "now", "within", "reused"), [
    (conv(Status.CLOSED), 7 * D - S, 7 * D, True),
    (conv(Status.CLOSED), 7 * D, 7 * D, False),
    (conv(Status.CLOSED), 8 * D, 7 * D, False),
    (conv(Status.CLOSED), S, timedelta(0), False),
    (conv(Status.CLOSED, thread=False), 30 * D, 7 * D, True),
    (conv(Status.ACTIVE), 30 * D, 7 * D, True),
    (conv(Status.INACTIVE), 30 * D, 7 * D, True),
    (conv(Status.DECLINED), 30 * D, 7 * D, True),
    (conv(Status.NEW), 30 * D, 7 * D, True),
])
def test_reopens_in_place(case: Conversation, now: timedelta, within: timedelta,
                          reused: bool) -> None:
    assert reopens_in_place(case, T0 + now, within) is reused


def test_reopened_status_goes_back_to_the_assignee() -> None:
    assert reopened_status(conv(Status.CLOSED, assignee="U1")) is Status.ACTIVE
    assert reopened_status(conv(Status.CLOSED)) is Status.NEW


# -- settings ----------------------------------------------------------------------------------

def test_defaults() -> None:
    assert DEFAULT_POLICY == LifecyclePolicy(
        missed_after=15 * M, missed_notify="owner", missed_close_after=24 * H,
        idle_close_after=24 * H, idle_close_notify=True, inactive_after=15 * D,
        reopen_within=7 * D)


@pytest.mark.parametrize(("name", "value", "valid"), [
    ("missed_close_after", "15m", True), ("missed_close_after", "30d", True),
    ("missed_close_after", "14m", False), ("missed_close_after", "31d", False),
    ("missed_close_after", "0", False),
    ("idle_close_after", "24h", True), ("idle_close_after", "0", True),
    ("idle_close_after", "25h", False),
    ("missed_after", "0", True), ("missed_after", "31d", False),
    ("inactive_after", "0", True), ("inactive_after", "2y", False),
    ("reopen_within", "0", True), ("reopen_within", "7d", True),
    ("missed_notify", "channel", True), ("missed_notify", "everyone", False),
    ("idle_close_notify", False, True), ("idle_close_notify", "yes", False),
])
def test_lifecycle_problem(name: str, value: object, valid: bool) -> None:
    problem = lifecycle_problem(name, value)
    assert (problem == "") is valid
    if not valid:
        assert problem.startswith(f"{name}: ")


def test_an_invalid_value_falls_back_to_its_default_and_is_reported() -> None:
    policy, problems = lifecycle_policy({"missed_close_after": "5m", "idle_close_after": "0",
                                         "missed_notify": "channel"})
    assert policy.missed_close_after == 24 * H
    assert policy.idle_close_after is None and policy.missed_notify == "channel"
    assert len(problems) == 1 and "missed_close_after" in problems[0]
