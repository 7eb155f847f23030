"""The read-only answers of the managers' command: inbox summary, lists, stats, settings,
pools, audit trail and help. Each reads the store and renders one Slack template."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.lifecycle.clock import Clock
from bot.manager import views
from bot.manager.commands import ListConversations, ShowAudit, ShowStats
from bot.manager.state import business_hours, current_pause
from bot.manager.stats import report
from bot.models import Conversation, Status
from bot.preferences import DEFAULTS, preference
from bot.rendering import Renderer
from storage.base import BaseStorage

OLDEST_SHOWN = 5
#: settings whose values are Slack user ids
_USER_SETTINGS = {"default_owner"}


@dataclass(frozen=True)
class Reports:
    storage: BaseStorage
    renderer: Renderer
    clock: Clock
    slash: str

    async def summary(self, team_domain: str) -> str:
        convs = await self.storage.list_conversations()
        counts = [{"status": s.value, "count": sum(c.status is s for c in convs)}
                  for s in Status]
        waiting = sorted((c for c in convs if c.status is Status.NEW
                          and c.first_response_at is None), key=lambda c: c.created_at)
        return self._render("summary", status_counts=counts, conv_total=len(convs),
                            oldest_waiting=await self._rows(waiting[:OLDEST_SHOWN], team_domain),
                            waiting_count=len(waiting), **await self._desk_state())

    async def listing(self, command: ListConversations, team_domain: str) -> str:
        convs = await self.storage.list_conversations(command.status)
        if command.status is Status.NEW:  # the longest waiting first
            convs.sort(key=lambda c: c.created_at)
        else:  # the most recently active first
            convs.sort(key=_last_activity, reverse=True)
        return self._render("list", list_status=command.status.value, conv_total=len(convs),
                            conv_rows=await self._rows(convs[:command.limit], team_domain))

    async def stats(self, command: ShowStats) -> str:
        hours = await business_hours(self.storage)
        result = report(await self.storage.list_conversations(), await self.storage.list_leads(),
                        now=self.clock.now(), days=command.days, hours=hours,
                        operator=command.operator)
        operators = [{"user": user, **views.figures_context(f)} for user, f in result.operators]
        return self._render("stats", stats_days=command.days, stats_operator=command.operator,
                            overall=views.figures_context(result.overall),
                            operator_rows=operators, hours_set=hours is not None)

    async def settings(self) -> str:
        rows = []
        for name in DEFAULTS:
            value = await preference(self.storage, name)
            users = [value] if name in _USER_SETTINGS and value else []
            rows.append({"name": name, "value": "" if users else views.describe(name, value),
                         "users": users})
        return self._render("settings", setting_rows=rows, **await self._desk_state(),
                            pool_rows=await self._pools())

    async def pools(self) -> str:
        return self._render("pools", pool_rows=await self._pools())

    async def audit(self, command: ShowAudit) -> str:
        entries = [{"at": views.when(str(e.get("at", ""))), "by": e.get("by", ""),
                    "setting": e.get("setting", ""),
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

    async def _desk_state(self) -> dict[str, Any]:
        hours = await business_hours(self.storage)
        pause = await current_pause(self.storage, self.clock.now())
        tz = hours.tz if hours else "UTC"
        return {"desk_paused": pause is not None,
                "desk_paused_until": views.when(pause.until, tz) if pause else "",
                "desk_hours": hours.spec() if hours else "",
                "desk_intake_closed": await preference(self.storage, "intake_closed")}

    async def _pools(self) -> list[dict[str, Any]]:
        pools = await self.storage.list_pools()
        default = await preference(self.storage, "default_pool")
        return [{"name": name, "members": members, "default": name == default}
                for name, members in sorted(pools.items())]


def _last_activity(conv: Conversation) -> float:
    stamps = [t for t in (conv.created_at, conv.last_customer_at, conv.last_operator_at) if t]
    return max(stamps).timestamp()
