"""The read-only answers of the managers' command: inbox summary, lists, stats, settings,
pools, audit trail and help. Each reads the store and renders one Slack template."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.inboxes import Inbox
from bot.lifecycle.clock import Clock
from bot.manager import views
from bot.manager.commands import ListConversations, ShowAudit, ShowStats
from bot.manager.state import business_hours, current_pause
from bot.manager.stats import report
from bot.models import Conversation, Lead, Status
from bot.preferences import DEFAULTS, INBOX_SCOPED, own_preference, preference
from bot.rendering import Renderer
from storage.base import BaseStorage

OLDEST_SHOWN = 5
#: settings whose values are Slack user ids
_USER_SETTINGS = {"default_owner"}


@dataclass(frozen=True)
class Reports:
    """:param inboxes: every inbox when the deployment has several (the desk-wide answers
        then add one line per inbox); () with one"""

    storage: BaseStorage
    renderer: Renderer
    clock: Clock
    slash: str
    inboxes: tuple[Inbox, ...] = ()

    async def summary(self, team_domain: str, inbox: Inbox | None = None) -> str:
        convs = _of(await self.storage.list_conversations(), inbox)
        waiting = sorted((c for c in convs if c.status is Status.NEW
                          and c.first_response_at is None), key=lambda c: c.created_at)
        return self._render("summary", status_counts=_counts(convs), conv_total=len(convs),
                            oldest_waiting=await self._rows(waiting[:OLDEST_SHOWN], team_domain),
                            waiting_count=len(waiting), inbox_label=_label(inbox),
                            inbox_rows=await self._inbox_rows(convs, inbox),
                            **await self._desk_state(inbox.name if inbox else ""))

    async def listing(self, command: ListConversations, team_domain: str,
                      inbox: Inbox | None = None) -> str:
        convs = _of(await self.storage.list_conversations(command.status), inbox)
        if command.status is Status.NEW:  # the longest waiting first
            convs.sort(key=lambda c: c.created_at)
        else:  # the most recently active first
            convs.sort(key=_last_activity, reverse=True)
        return self._render("list", list_status=command.status.value, conv_total=len(convs),
                            conv_rows=await self._rows(convs[:command.limit], team_domain),
                            inbox_label=_label(inbox))

    async def stats(self, command: ShowStats, inbox: Inbox | None = None) -> str:
        hours = await business_hours(self.storage, inbox.name if inbox else "")
        convs = _of(await self.storage.list_conversations(), inbox)
        leads = _leads_of(await self.storage.list_leads(), convs, inbox)
        result = report(convs, leads, now=self.clock.now(), days=command.days, hours=hours,
                        operator=command.operator)
        operators = [{"user": user, **views.figures_context(f)} for user, f in result.operators]
        return self._render("stats", stats_days=command.days, stats_operator=command.operator,
                            overall=views.figures_context(result.overall),
                            operator_rows=operators, hours_set=hours is not None,
                            inbox_label=_label(inbox),
                            inbox_rows=[] if inbox else await self._inbox_stats(
                                command, convs, leads))

    async def settings(self, inbox: Inbox | None = None) -> str:
        rows = [await self._setting_row(name, inbox.name if inbox else "") for name in DEFAULTS]
        return self._render("settings", setting_rows=rows, inbox_label=_label(inbox),
                            overrides=[] if inbox else await self._overrides(),
                            **await self._desk_state(inbox.name if inbox else ""),
                            pool_rows=await self._pools())

    async def pools(self) -> str:
        return self._render("pools", pool_rows=await self._pools())

    async def audit(self, command: ShowAudit) -> str:
        entries = [{"at": views.when(str(e.get("at", ""))), "by": e.get("by", ""),
                    "setting": e.get("setting", ""), "inbox": e.get("inbox", ""),
                    "old": views.describe(str(e.get("setting")), e.get("old")),
                    "new": views.describe(str(e.get("setting")), e.get("new"))}
                   for e in await self.storage.read_log("audit", command.limit)]
        return self._render("audit", audit_entries=entries)

    def help(self) -> str:
        return self._render("help", subcommand="help")

    # -- helpers ----------------------------------------------------------------------------
    def _render(self, name: str, **context: Any) -> str:
        return self.renderer.render(f"slack/manager/{name}.mrkdwn", slash=self.slash, **context)

    async def _rows(self, convs: list[Conversation], team_domain: str) -> list[dict[str, Any]]:
        now = self.clock.now()
        return [{"customer": views.customer_label(await self.storage.get_customer(c.key), c),
                 "channel": c.key.channel, "assignee": c.assignee,
                 "age": views.duration((now - c.created_at).total_seconds()),
                 "link": views.thread_link(c, team_domain),
                 "paused": bool(c.extra.get("arrived_while_paused"))} for c in convs]

    async def _desk_state(self, inbox: str) -> dict[str, Any]:
        hours = await business_hours(self.storage, inbox)
        pause = await current_pause(self.storage, self.clock.now(), inbox)
        tz = hours.tz if hours else "UTC"
        return {"desk_paused": pause is not None,
                "desk_paused_until": views.when(pause.until, tz) if pause else "",
                "desk_hours": hours.spec() if hours else "",
                "desk_intake_closed": await preference(self.storage, "intake_closed", inbox)}

    async def _setting_row(self, name: str, inbox: str) -> dict[str, Any]:
        value = await preference(self.storage, name, inbox)
        users = [value] if name in _USER_SETTINGS and value else []
        scoped = bool(inbox) and name in INBOX_SCOPED
        return {"name": name, "value": "" if users else views.describe(name, value),
                "users": users, "scoped": scoped,
                "own": scoped and await own_preference(self.storage, name, inbox) is not None}

    async def _inbox_rows(self, convs: list[Conversation],
                          selected: Inbox | None) -> list[dict[str, Any]]:
        """One line per inbox, on the desk-wide summary of a deployment with several."""
        if selected is not None:
            return []
        rows = []
        for inbox in self.inboxes:
            own = _of(convs, inbox)
            waiting = sum(c.status is Status.NEW and c.first_response_at is None for c in own)
            rows.append({"name": inbox.name, "label": inbox.label, "conv_total": len(own),
                         "status_counts": _counts(own), "waiting_count": waiting,
                         **await self._desk_state(inbox.name)})
        return rows

    async def _inbox_stats(self, command: ShowStats, convs: list[Conversation],
                           leads: list[Lead]) -> list[dict[str, Any]]:
        rows = []
        for inbox in self.inboxes:
            own = _of(convs, inbox)
            result = report(own, _leads_of(leads, own, inbox), now=self.clock.now(),
                            days=command.days, operator=command.operator,
                            hours=await business_hours(self.storage, inbox.name))
            rows.append({"name": inbox.name, "label": inbox.label,
                         **views.figures_context(result.overall)})
        return rows

    async def _overrides(self) -> list[dict[str, Any]]:
        """Which settings each inbox sets itself (the desk-wide view of several inboxes)."""
        rows = []
        for inbox in self.inboxes:
            names = [name for name in DEFAULTS if name in INBOX_SCOPED
                     and await own_preference(self.storage, name, inbox.name) is not None]
            rows.append({"name": inbox.name, "label": inbox.label, "settings": names})
        return rows

    async def _pools(self) -> list[dict[str, Any]]:
        pools = await self.storage.list_pools()
        default = await preference(self.storage, "default_pool")
        return [{"name": name, "members": members, "default": name == default}
                for name, members in sorted(pools.items())]


def _of(convs: list[Conversation], inbox: Inbox | None) -> list[Conversation]:
    """One inbox's conversations (None: all of them)."""
    return convs if inbox is None else [c for c in convs if c.key.inbox == inbox.name]


def _leads_of(leads: Sequence[Lead], convs: list[Conversation],
              inbox: Inbox | None) -> list[Lead]:
    if inbox is None:
        return list(leads)
    ids = {c.id for c in convs}
    return [lead for lead in leads if lead.conversation_id in ids]


def _counts(convs: list[Conversation]) -> list[dict[str, Any]]:
    return [{"status": s.value, "count": sum(c.status is s for c in convs)} for s in Status]


def _label(inbox: Inbox | None) -> str:
    return inbox.label if inbox else ""


def _last_activity(conv: Conversation) -> float:
    stamps = [t for t in (conv.created_at, conv.last_customer_at, conv.last_operator_at) if t]
    return max(stamps).timestamp()
