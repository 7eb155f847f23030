"""The setting changes of the managers' command. Each planner checks the command against
the store and returns the :class:`Change` to make (the service writes and audits it), or
the :class:`Problem` that stops it; nothing is written here."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.lead_rules import match_choice
from bot.lifecycle.clock import Clock
from bot.manager.commands import (
    Command,
    EditChoices,
    Inherit,
    Pause,
    PoolCommand,
    Resume,
    SetDefault,
    SetHours,
    SetIntake,
    SetOption,
)
from bot.manager.state import PauseState, business_hours, current_pause
from bot.preferences import INBOX_SCOPED, own_preference, preference, set_preference
from storage.base import BaseStorage


@dataclass(frozen=True)
class Change:
    setting: str  # a preference name, or "pool:NAME"
    old: Any
    new: Any
    write: Callable[[], Awaitable[None]]
    #: whose value it is: an inbox's own, or "" for the desk-wide one
    inbox: str = ""
    #: the inbox's own value is removed (``new`` is the desk-wide value it follows again)
    drops_own: bool = False


@dataclass(frozen=True)
class Problem:
    problem: str
    detail: str = ""
    choices: tuple[str, ...] = ()


class Changes:
    """:param inboxes: every inbox's name when the deployment has several (their own
        defaults keep a status, source or pool in use)"""

    def __init__(self, *, storage: BaseStorage, clock: Clock, inboxes: Sequence[str] = (),
                 inbox: str = "") -> None:
        self.storage, self.clock, self.inboxes, self.inbox = storage, clock, tuple(inboxes), inbox

    async def plan(self, command: Command, user: str, inbox: str = "") -> Change | Problem:
        """:param inbox: the inbox whose own values change; "" for the desk-wide ones"""
        if inbox != self.inbox:
            return await Changes(storage=self.storage, clock=self.clock, inboxes=self.inboxes,
                                 inbox=inbox).plan(command, user, inbox)
        if isinstance(command, Pause):
            return await self._pause(command, user)
        if isinstance(command, Resume):
            return await self._resume()
        if isinstance(command, SetHours):
            new = command.hours.spec() if command.hours else ""
            return await self._preference("business_hours", new)
        if isinstance(command, SetIntake):
            return await self._intake(command)
        if isinstance(command, PoolCommand):
            return await self._pool(command)
        if isinstance(command, SetOption):
            return await self._preference(command.name, command.value)
        if isinstance(command, SetDefault):
            return await self._default(command)
        if isinstance(command, EditChoices):
            return await self._choices(command)
        if isinstance(command, Inherit):
            return await self._inherit(command.setting)
        raise TypeError(f"not a change: {command!r}")

    # -- pause -------------------------------------------------------------------------------
    async def _pause(self, command: Pause, user: str) -> Change | Problem:
        now = self.clock.now()
        end = await self._pause_end(command, now)
        if end is not None and end <= now:
            return Problem("past", end.isoformat())
        # Pausing again while paused keeps the pause (customers already told stay told)
        # and changes its end and message.
        running = await current_pause(self.storage, now, self.inbox)
        pause = PauseState(id=running.id if running else uuid.uuid4().hex[:12],
                           since=running.since if running else now.isoformat(),
                           until=end.isoformat() if end else "", message=command.message,
                           by=user)
        return await self._preference("pause", pause.to_json())

    async def _pause_end(self, command: Pause, now: datetime) -> datetime | None:
        if command.duration is not None:
            return now + command.duration
        if command.until is None:
            return None
        hours = await business_hours(self.storage, self.inbox)
        zone = ZoneInfo(hours.tz if hours else "UTC")
        local = datetime.combine(command.until, command.until_time or time(0), tzinfo=zone)
        return local.astimezone(UTC)

    async def _resume(self) -> Change | Problem:
        if await current_pause(self.storage, self.clock.now(), self.inbox) is None:
            return Problem("not_paused")
        return await self._preference("pause", {})

    # -- intake, defaults, choices -------------------------------------------------------------
    async def _intake(self, command: SetIntake) -> Change | Problem:
        closed = set(await preference(self.storage, "intake_closed", self.inbox) or [])
        new = closed - {command.channel} if command.on else closed | {command.channel}
        return await self._preference("intake_closed", sorted(new))

    async def _default(self, command: SetDefault) -> Change | Problem:
        if command.field == "owner":
            return await self._preference("default_owner", command.value)
        if command.field == "pool":
            pools = await self.storage.list_pools()
            if command.value and command.value not in pools:
                return Problem("unknown_pool", command.value, tuple(sorted(pools)))
            return await self._preference("default_pool", command.value)
        if command.field == "status":
            return await self._default_status(command.value)
        return await self._default_source(command)

    async def _default_status(self, value: str) -> Change | Problem:
        statuses = await preference(self.storage, "statuses")
        if (matched := match_choice(value, statuses)) is None:
            return Problem("unknown_choice", value, tuple(statuses))
        return await self._preference("default_status", matched)

    async def _default_source(self, command: SetDefault) -> Change | Problem:
        sources = await preference(self.storage, "sources")
        matched = match_choice(command.value, sources) if command.value else ""
        if matched is None:
            return Problem("unknown_choice", command.value, tuple(sources))
        by_channel = dict(await preference(self.storage, "source_by_channel", self.inbox))
        by_channel.pop(command.channel, None)
        new = {**by_channel, command.channel: matched} if matched else by_channel
        return await self._preference("source_by_channel", new)

    async def _choices(self, command: EditChoices) -> Change | Problem:
        values = list(await preference(self.storage, command.setting))
        matched = match_choice(command.value, values)
        if command.action == "add":
            if matched is not None:
                return Problem("already_listed", matched, tuple(values))
            return await self._preference(command.setting, [*values, command.value])
        if matched is None:
            return Problem("not_listed", command.value, tuple(values))
        if await self._in_use(command.setting, matched):
            return Problem("in_use", matched)
        return await self._preference(command.setting, [v for v in values if v != matched])

    async def _in_use(self, setting: str, value: str) -> bool:
        if setting == "statuses":
            return value in await self._everywhere("default_status")
        return any(value in by_channel.values()
                   for by_channel in await self._everywhere("source_by_channel"))

    async def _everywhere(self, name: str) -> list[Any]:
        """The desk-wide value and every inbox's own one."""
        own = [await own_preference(self.storage, name, inbox) for inbox in self.inboxes]
        return [await preference(self.storage, name), *(v for v in own if v is not None)]

    async def _inherit(self, name: str) -> Change | Problem:
        if not self.inbox:
            return Problem("no_inbox_selected")
        own = await own_preference(self.storage, name, self.inbox)
        if own is None:
            return Problem("not_own", name)

        async def write() -> None:
            await set_preference(self.storage, name, None, self.inbox)

        return Change(name, own, await preference(self.storage, name), write, self.inbox,
                      drops_own=True)

    # -- pools ------------------------------------------------------------------------------
    async def _pool(self, command: PoolCommand) -> Change | Problem:
        members = await self.storage.get_pool(command.name)
        if command.action == "create":
            if members is not None:
                return Problem("pool_exists", command.name)
            return self._pool_change(command.name, None, list(command.members))
        if members is None:
            pools = tuple(sorted(await self.storage.list_pools()))
            return Problem("unknown_pool", command.name, pools)
        if command.action == "delete":
            return await self._pool_delete(command.name, members)
        return self._pool_members(command, members)

    def _pool_members(self, command: PoolCommand, members: list[str]) -> Change | Problem:
        if command.action == "add":
            added = [m for m in command.members if m not in members]
            return self._pool_change(command.name, members, members + added)
        if missing := [m for m in command.members if m not in members]:
            return Problem("not_member", missing[0], tuple(members))
        kept = [m for m in members if m not in command.members]
        return self._pool_change(command.name, members, kept)

    async def _pool_delete(self, name: str, members: list[str]) -> Change | Problem:
        if name in await self._everywhere("default_pool"):
            return Problem("pool_in_use", name)

        async def write() -> None:
            await self.storage.delete_pool(name)

        return Change(f"pool:{name}", members, None, write)

    def _pool_change(self, name: str, old: list[str] | None, new: list[str]) -> Change:
        async def write() -> None:
            await self.storage.save_pool(name, new)

        return Change(f"pool:{name}", old, new, write)

    # -- plumbing ------------------------------------------------------------------------------
    async def _preference(self, name: str, new: Any) -> Change:
        inbox = self.inbox if name in INBOX_SCOPED else ""

        async def write() -> None:
            await set_preference(self.storage, name, new, inbox)

        return Change(name, await preference(self.storage, name, inbox), new, write, inbox)
