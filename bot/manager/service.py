"""Runs the managers' slash command against the store.

The Slack listener calls :meth:`ManagerService.screen` before it acks (pure and quick:
parse errors and refusals are answered in the ack itself), then hands the command to
:meth:`ManagerService.answer_later`, whose task reads or writes the store and answers
through the command's ``response_url``. The service owns those tasks (a ``Component``):
``stop()`` lets them finish, so none outlives the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from bot import loggers
from bot.access import Access
from bot.inboxes import Inbox
from bot.lifecycle.clock import Clock
from bot.manager.changes import Change, Changes, Problem
from bot.manager.commands import (
    Command,
    Help,
    ListConversations,
    Parsed,
    ParseError,
    PoolCommand,
    ShowAudit,
    ShowSettings,
    ShowStats,
    Summary,
    is_change,
    managers_only,
    named_channel,
)
from bot.manager.parse import parse
from bot.manager.reports import Reports
from bot.manager.scope import InboxScopes
from bot.manager.views import describe
from bot.rendering import Renderer
from storage.base import BaseStorage

AUDIT_LOG = "audit"


@dataclass(frozen=True, slots=True)
class Caller:
    user: str
    channel: str = ""
    #: the workspace's subdomain, for thread permalinks
    team_domain: str = ""


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    #: in the channel for everyone, instead of only to the caller
    public: bool = False


Reply = Callable[[Answer], Awaitable[None]]


class ManagerService:
    def __init__(self, *, storage: BaseStorage, renderer: Renderer, clock: Clock,
                 access: Access, command: str = "/leads", inboxes: Sequence[Inbox] = (),
                 channels: Collection[str] = ()) -> None:
        """:param inboxes: every inbox the process serves (none or one: desk-wide only)
        :param channels: the channel kinds intake and source defaults may name; empty: any
        """
        self.storage, self.renderer, self.clock = storage, renderer, clock
        self.channels = tuple(channels)
        self.access, self.slash = access, command
        self.scopes = InboxScopes(inboxes)
        self.reports = Reports(storage, renderer, clock, command, self.scopes.several)
        self.changes = Changes(storage=storage, clock=clock,
                               inboxes=[inbox.name for inbox in self.scopes.several])
        self._tasks: set[asyncio.Task[None]] = set()

    # -- what the listener calls ---------------------------------------------------------
    def screen(self, caller: Caller, text: str) -> Parsed | Answer:
        """The parsed command, or the private answer that refuses it."""
        parsed = parse(text)
        if isinstance(parsed, ParseError):
            return Answer(self._problem(parsed.problem, parsed.detail, parsed.subcommand))
        channel = named_channel(parsed.command)
        if channel and self.channels and channel not in self.channels:
            return Answer(self._problem("bad_channel", channel, parsed.subcommand,
                                        choices=self.channels))
        if self.scopes.is_unknown(parsed.inbox):
            return Answer(self._problem("unknown_inbox", str(parsed.inbox), parsed.subcommand,
                                        choices=self.scopes.names()))
        if managers_only(parsed.command) and not self.access.is_manager(caller.user):
            return Answer(self._problem("not_manager", "", parsed.subcommand))
        if not self.access.may_operate(caller.user):
            return Answer(self._problem("not_operator", "", parsed.subcommand))
        return parsed

    def answer_later(self, caller: Caller, parsed: Parsed, reply: Reply) -> None:
        task = asyncio.create_task(self._answer(caller, parsed, reply), name="manager-command")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self, caller: Caller, parsed: Parsed) -> Answer:
        inbox = self.scopes.select(parsed.inbox, caller.channel)
        if is_change(parsed.command):
            return await self._change(caller, parsed, inbox)
        return Answer(await self._read(parsed.command, caller, inbox), parsed.public)

    # -- Component ------------------------------------------------------------------------------
    async def start(self) -> None:
        pass

    async def stop(self, timeout: float = 10.0) -> None:
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    # -- running ----------------------------------------------------------------------------------
    async def _answer(self, caller: Caller, parsed: Parsed, reply: Reply) -> None:
        try:
            answer = await self.run(caller, parsed)
        except Exception:
            loggers.slack.exception("%s %s failed", self.slash, parsed.subcommand)
            answer = Answer(self.renderer.render("slack/manager/failed.mrkdwn",
                                                 slash=self.slash))
        try:
            await reply(answer)
        except Exception:
            loggers.slack.exception("could not answer %s %s", self.slash, parsed.subcommand)

    async def _read(self, command: Command, caller: Caller, inbox: Inbox | None) -> str:
        if isinstance(command, Summary):
            return await self.reports.summary(caller.team_domain, inbox)
        if isinstance(command, ListConversations):
            return await self.reports.listing(command, caller.team_domain, inbox)
        if isinstance(command, ShowStats):
            return await self.reports.stats(command, inbox)
        if isinstance(command, ShowSettings):
            return await self.reports.settings(inbox)
        if isinstance(command, ShowAudit):
            return await self.reports.audit(command)
        if isinstance(command, PoolCommand):
            return await self.reports.pools()
        if isinstance(command, Help):
            return self.reports.help()
        raise TypeError(f"not a read: {command!r}")

    async def _change(self, caller: Caller, parsed: Parsed, inbox: Inbox | None) -> Answer:
        planned = await self.changes.plan(parsed.command, caller.user,
                                          inbox.name if inbox else "")
        if isinstance(planned, Problem):
            return Answer(self._problem(planned.problem, planned.detail, parsed.subcommand,
                                        choices=planned.choices))
        label = inbox.label if inbox and planned.inbox else ""
        if planned.old == planned.new and not planned.drops_own:
            return Answer(self._changed(planned, label, changed=False))
        await planned.write()
        entry = {"at": self.clock.now().isoformat(), "by": caller.user,
                 "setting": planned.setting, "old": planned.old, "new": planned.new,
                 "subcommand": parsed.subcommand}
        if planned.inbox:
            entry["inbox"] = planned.inbox
        await self.storage.append_log(AUDIT_LOG, entry)
        return Answer(self._changed(planned, label, changed=True), parsed.public)

    # -- texts ------------------------------------------------------------------------------
    def _changed(self, change: Change, inbox_label: str, *, changed: bool) -> str:
        return self.renderer.render("slack/manager/changed.mrkdwn", slash=self.slash,
                                    setting=change.setting, inbox_label=inbox_label,
                                    inherited=change.drops_own,
                                    old_value=describe(change.setting, change.old),
                                    new_value=describe(change.setting, change.new),
                                    changed=changed)

    def _problem(self, problem: str, detail: str, subcommand: str, **extra: Any) -> str:
        context: dict[str, Any] = {"choices": (), **extra}
        return self.renderer.render("slack/manager/problem.mrkdwn", slash=self.slash,
                                    problem=problem, detail=detail, subcommand=subcommand,
                                    **context)
