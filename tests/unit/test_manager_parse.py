"""The slash command's text → a command, or the exact problem with its usage line."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from bot.manager.commands import (
    EditChoices,
    Help,
    Inherit,
    ListConversations,
    Parsed,
    ParseError,
    Pause,
    PoolCommand,
    Resume,
    SetDefault,
    SetHours,
    SetIntake,
    ShowAudit,
    ShowSettings,
    ShowStats,
    Summary,
    managers_only,
)
from bot.manager.parse import parse
from bot.models import Status
from bot.rendering import Renderer


@pytest.mark.parametrize(("text", "command"), [
    ("", Summary()),
    ("  ", Summary()),
    ("list new", ListConversations(Status.NEW)),
    ("LIST Declined 5", ListConversations(Status.DECLINED, 5)),
    ("stats", ShowStats(30)),
    ("stats 7d", ShowStats(7)),
    ("stats 90d <@U123|ann>", ShowStats(90, "U123")),
    ("stats <@U123> 7d", ShowStats(7, "U123")),
    ("pause", Pause()),
    ("pause Gone fishing", Pause(message="Gone fishing")),
    ("pause for 3d", Pause(duration=timedelta(days=3))),
    ("pause for 90m Back soon &amp; thanks", Pause(duration=timedelta(minutes=90),
                                                   message="Back soon & thanks")),
    ("pause for 2w", Pause(duration=timedelta(weeks=2))),
    ("pause until 2026-12-24", Pause(until=date(2026, 12, 24))),
    ("pause until 2026-12-24 Merry Christmas", Pause(until=date(2026, 12, 24),
                                                     message="Merry Christmas")),
    ("pause until 2026-12-24 09:30 Merry", Pause(until=date(2026, 12, 24),
                                                 until_time=time(9, 30), message="Merry")),
    ("resume", Resume()),
    ("hours off", SetHours(None)),
    ("intake telegram off", SetIntake("telegram", False)),
    ("intake Telegram ON", SetIntake("telegram", True)),
    ("pool list", PoolCommand("list")),
    ("pool create sales", PoolCommand("create", "sales")),
    ("pool create sales <@U1|ann> <@U2> <@U1>", PoolCommand("create", "sales", ("U1", "U2"))),
    ("pool add sales <@U3>", PoolCommand("add", "sales", ("U3",))),
    ("pool remove sales <@U3>", PoolCommand("remove", "sales", ("U3",))),
    ("pool delete sales", PoolCommand("delete", "sales")),
    ("default owner <@U9|bo>", SetDefault("owner", "U9")),
    ("default owner none", SetDefault("owner", "")),
    ("default pool sales", SetDefault("pool", "sales")),
    ("default pool none", SetDefault("pool", "")),
    ("default status Qualified", SetDefault("status", "Qualified")),
    ("default source telegram=Google Ads", SetDefault("source", "Google Ads", "telegram")),
    ("default source telegram=none", SetDefault("source", "", "telegram")),
    ("statuses add Hot lead", EditChoices("statuses", "add", "Hot lead")),
    ("sources remove Web chat", EditChoices("sources", "remove", "Web chat")),
    ("settings", ShowSettings()),
    ("audit", ShowAudit(10)),
    ("audit 3", ShowAudit(3)),
    ("help", Help()),
])
def test_commands(text: str, command: object) -> None:
    parsed = parse(text)
    assert isinstance(parsed, Parsed) and parsed.command == command
    assert not parsed.public


def test_hours_command_carries_the_model() -> None:
    parsed = parse("hours Mon-Fri 09:00-18:00 Sat 10:00-14:00 tz=Europe/Paris")
    assert isinstance(parsed, Parsed) and isinstance(parsed.command, SetHours)
    assert parsed.command.hours is not None
    assert parsed.command.hours.spec() == "Mon-Fri 09:00-18:00 Sat 10:00-14:00 tz=Europe/Paris"


@pytest.mark.parametrize(("text", "command"), [
    ("public", Summary()), ("list new public", ListConversations(Status.NEW)),
    ("stats 7d PUBLIC", ShowStats(7)), ("pause for 1d Back soon public",
                                        Pause(duration=timedelta(days=1), message="Back soon"))])
def test_a_trailing_public_answers_in_the_channel(text: str, command: object) -> None:
    parsed = parse(text)
    assert isinstance(parsed, Parsed) and parsed.command == command and parsed.public


@pytest.mark.parametrize(("text", "error"), [
    ("frobnicate", ("unknown_subcommand", "frobnicate", "help")),
    ("summary now", ("extra", "now", "summary")),
    ("list", ("missing_status", "", "list")),
    ("list pending", ("bad_status", "pending", "list")),
    ("list new 0", ("bad_count", "0", "list")),
    ("list new 500", ("bad_count", "500", "list")),
    ("list new 5 6", ("extra", "6", "list")),
    ("stats 400d", ("bad_period", "400d", "stats")),
    ("stats weekly", ("bad_period", "weekly", "stats")),
    ("stats @ann", ("plain_mention", "@ann", "stats")),
    ("pause for", ("missing_duration", "", "pause")),
    ("pause for ever", ("bad_duration", "ever", "pause")),
    ("pause for 0d", ("bad_duration", "0d", "pause")),
    ("pause until", ("missing_date", "", "pause")),
    ("pause until Christmas", ("bad_date", "Christmas", "pause")),
    ("pause until 2026-02-30", ("bad_date", "2026-02-30", "pause")),
    ("pause until 2026-12-24 24:30", ("bad_time", "24:30", "pause")),
    ("pause " + "x" * 501, ("too_long", "500", "pause")),
    ("resume now", ("extra", "now", "resume")),
    ("hours", ("missing_hours", "", "hours")),
    ("hours Mon-Fri", ("no_range", "Mon-Fri", "hours")),
    ("hours Mon 09:00-18:00 tz=Moon/Base", ("bad_tz", "Moon/Base", "hours")),
    ("intake telegram", ("missing_intake", "", "intake")),
    ("intake fa/x off", ("bad_channel", "fa/x", "intake")),
    ("intake telegram maybe", ("bad_switch", "maybe", "intake")),
    ("pool", ("bad_pool_action", "", "pool")),
    ("pool rename sales", ("bad_pool_action", "rename", "pool")),
    ("pool create", ("missing_pool", "", "pool")),
    ("pool create sa/les", ("bad_pool_name", "sa/les", "pool")),
    ("pool add sales", ("missing_members", "", "pool")),
    ("pool add sales @bo", ("plain_mention", "@bo", "pool")),
    ("pool add sales bo", ("bad_mention", "bo", "pool")),
    ("pool delete sales <@U1>", ("extra", "<@U1>", "pool")),
    ("pool list all", ("extra", "all", "pool")),
    ("default", ("bad_default", "", "default")),
    ("default colour red", ("bad_default", "colour", "default")),
    ("default status", ("missing_value", "status", "default")),
    ("default owner @bo", ("plain_mention", "@bo", "default")),
    ("default source Google", ("bad_source_pair", "Google", "default")),
    ("default source fa/x=Google", ("bad_channel", "fa/x", "default")),
    ("statuses", ("bad_choices_action", "", "statuses")),
    ("statuses add", ("missing_value", "statuses", "statuses")),
    ("statuses add a=b", ("bad_value", "a=b", "statuses")),
    ("sources rename x", ("bad_choices_action", "rename", "sources")),
    ("settings all", ("extra", "all", "settings")),
    ("audit many", ("bad_count", "many", "audit")),
])
def test_problems(text: str, error: tuple[str, str, str]) -> None:
    assert parse(text) == ParseError(*error)


@pytest.mark.parametrize(("text", "managers"), [
    ("", False), ("list new", False), ("stats", False), ("settings", False),
    ("pool list", False), ("help", False), ("audit", True), ("pause", True),
    ("resume", True), ("hours off", True), ("intake telegram off", True),
    ("pool create x", True), ("default status New", True), ("statuses add X", True)])
def test_who_may_run_what(text: str, managers: bool) -> None:
    parsed = parse(text)
    assert isinstance(parsed, Parsed) and managers_only(parsed.command) is managers


@pytest.mark.parametrize("text", [
    "frobnicate", "list pending", "stats @ann", "pause for ever", "hours Mon-Fri",
    "hours Mon 09:00-12:00 Mon 11:00-13:00", "intake fa/x off", "pool rename x",
    "default colour red", "statuses add a=b", "audit many", "hours 09:00-10:00"])
def test_every_problem_is_worded_with_its_usage(text: str) -> None:
    error = parse(text)
    assert isinstance(error, ParseError)
    rendered = Renderer().render("slack/manager/problem.mrkdwn", slash="/leads",
                                 problem=error.problem, detail=error.detail,
                                 subcommand=error.subcommand, choices=())
    assert "That did not work" not in rendered  # every code has its own wording
    usage = "Usage: `/leads" if error.subcommand != "help" else "`/leads help`"
    assert usage in rendered


# -- inbox=NAME ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "inbox", "command"), [
    ("pause inbox=acme", "acme", Pause()),
    ("inbox=acme pause for 3d Gone fishing", "acme",
     Pause(duration=timedelta(days=3), message="Gone fishing")),
    ("pause for 3d inbox=zen Gone fishing", "zen",
     Pause(duration=timedelta(days=3), message="Gone fishing")),
    ("intake telegram off inbox=Zen", "zen", SetIntake("telegram", False)),
    ("inbox=all", "all", Summary()),
    ("stats 7d inbox=acme", "acme", ShowStats(7)),
    ("default owner <@U1> inbox=acme", "acme", SetDefault("owner", "U1")),
    ("pause", None, Pause()),
    ("pause with the inbox=acme word", "acme", Pause(message="with the word")),
])
def test_inbox_is_picked_anywhere_in_the_command(text: str, inbox: str | None,
                                                 command: object) -> None:
    parsed = parse(text)
    assert isinstance(parsed, Parsed)
    assert (parsed.inbox, parsed.command) == (inbox, command)


def test_inbox_goes_with_public() -> None:
    parsed = parse("stats inbox=acme public")
    assert isinstance(parsed, Parsed) and parsed.public and parsed.inbox == "acme"


@pytest.mark.parametrize(("text", "problem", "detail", "subcommand"), [
    ("pause inbox=", "bad_inbox", "", "pause"),
    ("pause inbox=Acme!", "bad_inbox", "Acme!", "pause"),
    ("settings inbox=acme inbox=zen", "extra", "inbox=zen", "settings"),
    ("hours off inbox=<@U1>", "bad_inbox", "<@U1>", "hours"),
])
def test_a_bad_inbox_is_refused(text: str, problem: str, detail: str, subcommand: str) -> None:
    assert parse(text) == ParseError(problem, detail, subcommand)


@pytest.mark.parametrize(("text", "expected"), [
    ("inherit hours", Inherit("business_hours")),
    ("inherit PAUSE inbox=acme", Inherit("pause")),
    ("inherit owner", Inherit("default_owner")),
    ("inherit missed_notify", Inherit("missed_notify")),
    ("inherit", ParseError("missing_setting", "", "inherit")),
    ("inherit show_operator_name", ParseError("not_per_inbox", "show_operator_name", "inherit")),
    ("inherit hours pause", ParseError("extra", "pause", "inherit")),
])
def test_inherit(text: str, expected: object) -> None:
    parsed = parse(text)
    assert (parsed.command if isinstance(parsed, Parsed) else parsed) == expected
    assert not isinstance(parsed, Parsed) or managers_only(parsed.command)
