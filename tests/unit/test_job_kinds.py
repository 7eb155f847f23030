"""The table of outbox job kinds against the handlers the parts hand in: a kind nobody runs,
or a handler for a kind nobody described, stops the bot at start instead of leaving jobs
queued for ever."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from bot import jobs
from bot.jobs import route_jobs
from bot.lifecycle.clock import SystemClock
from bot.metrics import Metrics
from bot.models import Job
from bot.outbox import Finish, Handler, Outbox
from storage.base import BaseStorage

#: the kinds the previous release stored: jobs it queued must still find their handler
STORED_KINDS = {"slack.relay_in", "slack.mirror_edit", "slack.notice", "slack.whisper",
                "slack.react", "slack.refresh_card", "channel.send", "channel.edit",
                "channel.delete", "channel.send_text", "crm.webhook", "desk.mark_conversation"}


async def done(job: Job) -> Finish | None:
    return None


def serving(*kinds: str) -> Mapping[str, Handler]:
    return dict.fromkeys(kinds, done)


def side(name: jobs.Side) -> list[str]:
    return [spec.kind for spec in jobs.KINDS if spec.side is name]


@pytest.fixture
def outbox(sqlite_storage: BaseStorage) -> Outbox:
    return Outbox(sqlite_storage, clock=SystemClock(), metrics=Metrics())


def test_the_table_keeps_every_stored_kind() -> None:
    assert STORED_KINDS <= set(jobs.BY_KIND) and len(jobs.KINDS) == len(jobs.BY_KIND)


def test_a_kind_of_a_served_side_without_a_handler_fails(outbox: Outbox) -> None:
    slack = [kind for kind in side(jobs.Side.SLACK) if kind != jobs.REACT]
    with pytest.raises(jobs.JobTableError,
                       match=r"slack\.react: no handler, though its side \(Slack\) is served"):
        route_jobs(outbox, [serving(*slack)], jobs.Rates())
    assert outbox.routes == {}


def test_a_handler_for_a_kind_not_in_the_table_fails(outbox: Outbox) -> None:
    with pytest.raises(jobs.JobTableError, match=r"slack\.pin: a handler for a kind not in"):
        route_jobs(outbox, [serving(*side(jobs.Side.SLACK)), serving("slack.pin")],
                   jobs.Rates())
    assert outbox.routes == {}


def test_a_kind_served_twice_fails(outbox: Outbox) -> None:
    with pytest.raises(jobs.JobTableError, match=r"desk\.mark_conversation: more than one"):
        route_jobs(outbox, [serving(jobs.MARK), serving(jobs.MARK)], jobs.Rates())


def test_a_side_nobody_serves_is_off(outbox: Outbox) -> None:
    route_jobs(outbox, [serving(*side(jobs.Side.CUSTOMER)), serving(jobs.MARK)], jobs.Rates())
    assert set(outbox.routes) == {*side(jobs.Side.CUSTOMER), jobs.MARK}


def test_routes_take_the_rate_limits_the_table_names(outbox: Outbox) -> None:
    route_jobs(outbox, [serving(*jobs.BY_KIND)],
               jobs.Rates(slack_per_channel=(2.0, 5.0), per_customer_chat=(1.0, 3.0)))
    limits = {kind: route.limit for kind, route in outbox.routes.items()}
    slack, chat = limits[jobs.RELAY_IN], limits[jobs.SEND]
    assert slack is not None and (slack.bucket, slack.rate, slack.burst) == ("slack:", 2.0, 5.0)
    assert chat is not None and (chat.bucket, chat.rate, chat.burst) == ("chat:", 1.0, 3.0)
    assert {kind for kind, limit in limits.items() if limit == slack} == {
        jobs.RELAY_IN, jobs.NOTICE}
    assert {kind for kind, limit in limits.items() if limit == chat} == set(
        side(jobs.Side.CUSTOMER))
    assert {kind for kind, limit in limits.items() if limit is None} == {
        jobs.MIRROR_EDIT, jobs.WHISPER, jobs.REACT, jobs.REFRESH_CARD, jobs.CRM_WEBHOOK,
        jobs.MARK, jobs.BILLING_LOOKUP}
