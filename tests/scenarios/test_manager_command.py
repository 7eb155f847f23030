"""The managers' slash command through signed requests: the inbox, lists, stats, settings,
pools, defaults, the audit trail, refusals and malformed input."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.models import Status
from bot.preferences import preference
from storage.base import BaseStorage
from tests.fakes import tg_updates as tg
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.harness import CHANNEL, OPERATOR, Desk, running_desk
from tests.scenarios.slash import (
    MANAGER,
    ManualClock,
    answer,
    ask,
    clock,  # noqa: F401  (fixture)
    mdesk,  # noqa: F401  (fixture)
    open_store,
    slash,
    snapshot,
)
from tests.support.factories import inbound


async def customer_writes(desk: Desk, clock: ManualClock, chat_id: int, name: str) -> None:
    await desk.customer_sends(tg.text_message(chat_id, "hello", first_name=name))
    await desk.settle()
    clock.advance(600)


def permalink(thread_ts: str) -> str:
    return f"https://desk.slack.com/archives/{CHANNEL}/p{thread_ts.replace('.', '')}"


# -- reading ------------------------------------------------------------------------------------

async def test_inbox_at_a_glance(mdesk: Desk, clock: ManualClock) -> None:
    for chat_id, name in ((801, "Ann"), (802, "Bo"), (803, "Cy")):
        await customer_writes(mdesk, clock, chat_id, name)
    await mdesk.operator_writes(await mdesk.thread_of(802), "Hello Bo!")
    await mdesk.settle()
    text = await ask(mdesk, "", user=OPERATOR)  # operators may read
    assert "new *2* · active *1* · inactive *0* · declined *0* · closed *0*" in text
    assert "*Oldest unanswered* (2 waiting)" in text
    ann, cy = text.index(permalink(await mdesk.thread_of(801))), text.index("|Cy>")
    assert ann < cy  # the longest waiting first
    assert "Bo" not in text.split("Oldest unanswered")[1]  # answered
    assert "|Ann> · telegram · 30m 00s · unassigned" in text  # Ann wrote 30 minutes ago


async def test_list_by_status_with_a_limit(mdesk: Desk, clock: ManualClock) -> None:
    for chat_id, name in ((801, "Ann"), (802, "Bo"), (803, "Cy")):
        await customer_writes(mdesk, clock, chat_id, name)
    await mdesk.operator_writes(await mdesk.thread_of(803), "!accept")
    await mdesk.settle()
    new = await ask(mdesk, "list new 1")
    assert new.startswith("*New conversations* (1 of 2)")
    assert f"<{permalink(await mdesk.thread_of(801))}|Ann> · telegram · 30m 00s" in new
    assert "Bo" not in new
    active = await ask(mdesk, "list active")
    assert f"|Cy> · telegram · 10m 00s · <@{OPERATOR}>" in active
    assert "None." in await ask(mdesk, "list closed")


async def _seed(storage: BaseStorage, now_days_ago: float, chat: str, *, after: float | None,
                status: Status, assignee: str = "", declined_by: str = "",
                clock: ManualClock) -> None:
    created = clock.now() - timedelta(days=now_days_ago)
    got = await storage.ingest(inbound(chat, event_key=f"seed:{chat}"), now=created,
                               plan=lambda *_: [], seen_ttl=60)
    assert got is not None
    conv = got.conversation
    conv.status, conv.assignee = status, assignee
    conv.first_response_at = created + timedelta(seconds=after) if after else None
    if declined_by:
        conv.extra["last_action"] = {"verb": "declined", "by": declined_by, "at": ""}
    await storage.save_conversation(conv)


async def test_stats_against_hand_computed_figures(mdesk: Desk, clock: ManualClock) -> None:
    # NOW = Mon 2026-11-02 09:00 UTC; each conversation was created at 09:00 UTC.
    #   c1 30 d ago (Sat 3 Oct)  answered after  600 s  active    U1   weight 0.5
    #   c2 60 d ago (Thu 3 Sep)  answered after 1200 s  active    U2   weight 0.25
    #   c3  1 d ago              unanswered             new
    #   c4  2 d ago              unanswered             declined  by U2
    s = mdesk.storage
    await _seed(s, 30, "c1", after=600, status=Status.ACTIVE, assignee="U1", clock=clock)
    await _seed(s, 60, "c2", after=1200, status=Status.ACTIVE, assignee="U2", clock=clock)
    await _seed(s, 1, "c3", after=None, status=Status.NEW, clock=clock)
    await _seed(s, 2, "c4", after=None, status=Status.DECLINED, declined_by="U2", clock=clock)

    text = await ask(mdesk, "stats 90d", user=OPERATOR)
    # 4 conversations; accepted c1 c2 = 2/4 = 50 %; declined 1/4 = 25 %;
    # first responses [600, 1200]: median 900 = 15m, p90 = ceil(1.8) = 2nd = 1200 = 20m;
    # estimate (0.5·600 + 0.25·1200) / 0.75 = 800 s = 13m 20s ≤ 15 min: "a few minutes"
    assert "Conversations: *4* · leads created: *0*" in text
    assert "Accepted: 2 (50%) · declined: 1 (25%)" in text
    assert "median *15m 00s* · p90 *20m 00s* (2 answered)" in text
    assert 'estimate: *13m 20s*, shown to customers as "typically responds within a few ' \
           'minutes"' in text
    assert "(07:00–21:00 UTC: no hours are set)" in text
    # U1: c1 alone; U2: c2 and c4 (accepted 1/2, declined 1/2)
    assert "<@U1>: 1 conversations · 0 leads · accepted 100% · declined 0% · median 10m 00s" \
           " · p90 10m 00s · estimate 10m 00s" in text
    assert "<@U2>: 2 conversations · 0 leads · accepted 50% · declined 50% · median 20m 00s" \
           " · p90 20m 00s · estimate 20m 00s" in text

    week = await ask(mdesk, "stats 7d")
    # c3 and c4 only: nothing accepted or answered; the estimate still spans 90 days
    assert "Conversations: *2*" in week and "Accepted: 0 (0%) · declined: 1 (50%)" in week
    assert "median *–* · p90 *–* (0 answered)" in week and "estimate: *13m 20s*" in week

    assert "<@U1>: 1 conversations" in await ask(mdesk, "stats 90d <@U1|sam>")

    # With Paris hours Mon-Fri 09:00-18:00: c1 (a Saturday) counts 0 business seconds, c2
    # (Thursday 11:00 CEST) all 1200: (0.5·0 + 0.25·1200) / 0.75 = 400 s = 6m 40s
    await ask(mdesk, "hours Mon-Fri 09:00-18:00 tz=Europe/Paris")
    assert "estimate: *6m 40s*" in await ask(mdesk, "stats 90d")


async def test_help_and_a_public_answer(mdesk: Desk) -> None:
    acked = await slash(mdesk, "help public", user=OPERATOR)
    posted = await answer(mdesk, acked)
    assert posted["response_type"] == "in_channel"
    assert "`/leads pause [for 3d | until 2026-12-24 [09:00]] [message]`" in posted["text"]
    acked = await slash(mdesk, "help", user=OPERATOR)
    assert (await answer(mdesk, acked))["response_type"] == "ephemeral"


# -- settings, with the audit trail, on both stores --------------------------------------------

@pytest.mark.parametrize("mdesk", ["sqlite", "redis"], indirect=True)
async def test_lead_defaults_and_choices_are_stored_and_audited(mdesk: Desk) -> None:
    s = mdesk.storage
    assert "Done: *default_status* New → Qualified" in await ask(mdesk, "default status qualified")
    assert await preference(s, "default_status") == "Qualified"
    await ask(mdesk, "default owner <@U9|bo>")
    assert await preference(s, "default_owner") == "U9"
    await ask(mdesk, "sources add Instagram")
    await ask(mdesk, "default source telegram=instagram")
    assert (await preference(s, "source_by_channel"))["telegram"] == "Instagram"
    await ask(mdesk, "statuses add Hot lead")
    assert await preference(s, "statuses") == ["New", "Contacted", "Qualified", "Unqualified",
                                               "Hot lead"]
    await ask(mdesk, "statuses remove Unqualified")
    assert "Unqualified" not in await preference(s, "statuses")
    assert "Nothing changed" in await ask(mdesk, "default status Qualified")

    (latest, *_), count = await s.read_log("audit", 1), len(await s.read_log("audit", 100))
    assert count == 6  # the no-op is not audited
    assert (latest["by"], latest["setting"], latest["old"]) == (MANAGER, "statuses",
                                                               ["New", "Contacted", "Qualified",
                                                                "Unqualified", "Hot lead"])
    assert latest["at"] == "2026-11-02T09:00:00+00:00"
    trail = await ask(mdesk, "audit 2")
    assert trail.count("<@UMGR1>") == 2 and "*statuses*" in trail and "Hot lead" in trail
    settings = await ask(mdesk, "settings", user=OPERATOR)
    assert "`default_owner`: <@U9>" in settings and "`default_status`: Qualified" in settings


@pytest.mark.parametrize("mdesk", ["sqlite", "redis"], indirect=True)
async def test_pools_and_the_default_pool_take_effect_at_once(mdesk: Desk) -> None:
    s = mdesk.storage
    await ask(mdesk, "pool create sales <@UA1|a> <@UA2>")
    await ask(mdesk, "pool add sales <@UA3>")
    await ask(mdesk, "pool remove sales <@UA1>")
    assert await s.get_pool("sales") == ["UA2", "UA3"]
    await ask(mdesk, "pool create spare")
    listed = await ask(mdesk, "pool list", user=OPERATOR)
    assert "`sales`: <@UA2>, <@UA3>" in listed and "`spare`: no members" in listed
    await ask(mdesk, "pool delete spare")
    assert await s.get_pool("spare") is None
    await ask(mdesk, "default pool sales")
    # the very next lead takes the pool's turn, in this process and any other
    await mdesk.customer_sends(tg.text_message(811, "I want chairs"))
    await mdesk.settle()
    await mdesk.operator_writes(await mdesk.thread_of(811), "!lead")
    await mdesk.settle()
    conv = await mdesk.conversation(811)
    assert conv is not None and conv.lead_id is not None
    lead = await s.get_lead(conv.lead_id)
    assert lead is not None and lead.owner == "UA2"
    settings = [e["setting"] for e in await s.read_log("audit", 10)]
    assert settings == ["default_pool", "pool:spare", "pool:spare", "pool:sales", "pool:sales",
                        "pool:sales"]


# -- refusals and malformed input change nothing ----------------------------------------------

@pytest.mark.parametrize("text", [
    "default status Qualified", "pool create sales <@U1>", "pause for 3d", "resume",
    "hours Mon-Fri 09:00-18:00", "intake telegram off", "statuses add X", "audit",
    "set show_operator_name off"])
async def test_only_managers_change_settings(mdesk: Desk, text: str) -> None:
    before = await snapshot(mdesk.storage)
    acked = await slash(mdesk, text, user=OPERATOR)
    assert acked.status == 200 and acked.body["response_type"] == "ephemeral"
    assert acked.text.startswith("Only managers (SLACK_MANAGERS) can do that")
    assert f"Usage: `/leads {text.split()[0]}" in acked.text
    assert await snapshot(mdesk.storage) == before
    assert mdesk.slack.responses == []


@pytest.mark.parametrize(("text", "problem"), [
    ("list pending", "`pending` is not a conversation status"),
    ("stats 400d", "`400d` is not a period"),
    ("default owner @ann", "`@ann` reached me as plain text, not as a Slack user"),
    ("pause for ever", "`ever` is not a duration"),
    ("pause until 2026-02-30", "`2026-02-30` is not a date"),
    ("hours Mon-Fri", "`Mon-Fri` has no opening hours after it"),
    ("hours Mon 09:00-18:00 tz=Paris", "`Paris` is not a time zone"),
    ("hours Mon 18:00-09:00", "`18:00-09:00` ends before it starts"),
    ("intake fax off", "`fax` is not a channel"),
    ("pool add sales", "Mention the people to add or remove."),
    ("statuses add a=b", "`a=b` cannot be used"),
    ("frobnicate", "`frobnicate` is not a subcommand of `/leads`."),
    ("set show_operator_name", "Say which setting and its new value"),
    ("set colour blue", "`colour` is not a setting `set` can change."),
    ("set show_operator_name maybe", "`maybe` is not a valid value for that setting."),
    ("set missed_after soon", "`soon` is not a valid value for that setting."),
    ("set idle_close_after 3d", "`3d` is not a valid value for that setting."),
])
async def test_malformed_input_is_answered_in_the_ack(mdesk: Desk, text: str,
                                                     problem: str) -> None:
    before = await snapshot(mdesk.storage)
    acked = await slash(mdesk, text)
    assert acked.status == 200 and acked.seconds < 3
    assert acked.body["response_type"] == "ephemeral"
    assert acked.text.startswith(problem), acked.text
    usage = "`/leads help`" if text == "frobnicate" else f"Usage: `/leads {text.split()[0]}"
    assert usage in acked.text
    assert await snapshot(mdesk.storage) == before


@pytest.mark.parametrize(("setup", "text", "problem"), [
    ([], "default status Hot", "`Hot` is not in the list. Choose one of: New, Contacted"),
    ([], "default pool nope", "There is no pool called `nope`. No pool is set up yet."),
    (["pool create sales"], "pool create sales", "There is already a pool called `sales`"),
    (["pool create sales"], "pool add vip <@U1>", "There is no pool called `vip`. Pools: sales."),
    (["pool create sales <@U1>"], "pool remove sales <@U2>", "<@U2> is not in that pool."),
    (["pool create sales", "default pool sales"], "pool delete sales",
     "`sales` is the default pool"),
    ([], "statuses remove New", "`New` is in use as a default"),
    ([], "statuses add new", "`New` is already in the list."),
    ([], "sources remove Telegram", "`Telegram` is in use as a default"),
    ([], "resume", "The desk is not paused: nothing to resume."),
    ([], "pause until 2026-01-01", "The pause would end in the past"),
])
async def test_impossible_changes_are_explained_and_change_nothing(
        mdesk: Desk, setup: list[str], text: str, problem: str) -> None:
    for step in setup:
        await ask(mdesk, step)
    before = await snapshot(mdesk.storage)
    posted = await answer(mdesk, await slash(mdesk, text))
    assert posted["response_type"] == "ephemeral"
    assert posted["text"].startswith(problem), posted["text"]
    assert f"Usage: `/leads {text.split()[0]}" in posted["text"]
    assert await snapshot(mdesk.storage) == before


async def test_non_operators_may_not_even_read(fake_slack: FakeSlackAPI,
                                               fake_tg: FakeTelegramAPI, tmp_path: Path,
                                               request: pytest.FixtureRequest) -> None:
    store = await open_store("sqlite", tmp_path / "acl.sqlite3", request)
    async with running_desk(store, fake_slack, fake_tg, clock=ManualClock(),
                            SLACK_MANAGERS=MANAGER, SLACK_OPERATORS=OPERATOR) as desk:
        refused = await slash(desk, "list new", user="USTRANGER")
        assert refused.text.startswith("Only operators of this desk can use `/leads`")
        assert "new *0*" in await ask(desk, "", user=OPERATOR)
        assert "new *0*" in await ask(desk, "")  # managers may do everything


async def test_the_command_name_is_configurable(fake_slack: FakeSlackAPI,
                                                fake_tg: FakeTelegramAPI, tmp_path: Path,
                                                request: pytest.FixtureRequest) -> None:
    store = await open_store("sqlite", tmp_path / "name.sqlite3", request)
    async with running_desk(store, fake_slack, fake_tg, clock=ManualClock(),
                            SLACK_MANAGERS=MANAGER, SLACK_COMMAND="/desk") as desk:
        acked = await slash(desk, "list nope", command="/desk")
        assert "Usage: `/desk list" in acked.text
        ignored = await slash(desk, "list nope", command="/leads")  # not ours: the fallback
        assert ignored.status == 200 and ignored.body == {}


async def test_set_switches_and_timers_take_effect_and_are_audited(mdesk: Desk) -> None:
    assert "show_operator_name" in await ask(mdesk, "set show_operator_name off")
    assert await ask(mdesk, "set missed_after 30m")
    assert await ask(mdesk, "set delivery_reaction :eyes:")
    assert await preference(mdesk.storage, "show_operator_name") is False
    assert await preference(mdesk.storage, "missed_after") == "30m"
    assert await preference(mdesk.storage, "delivery_reaction") == "eyes"
    await mdesk.customer_sends(tg.text_message(801, "hi"))
    await mdesk.settle()
    ts = await mdesk.operator_writes(await mdesk.thread_of(801), "no name before this")
    await mdesk.settle()
    assert mdesk.tg.texts(801) == ["no name before this"]
    reacted = mdesk.slack.find(CHANNEL, ts)
    assert reacted is not None and reacted["reactions"][0]["name"] == "eyes"
    audit = await ask(mdesk, "audit 3")
    assert "show_operator_name" in audit and "missed_after" in audit
