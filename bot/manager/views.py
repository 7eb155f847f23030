"""Pure helpers that turn stored values into what the Slack templates show."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.manager.stats import Figures, phrase
from bot.models import Conversation, Customer


def thread_link(conv: Conversation, team_domain: str = "") -> str:
    """The thread's permalink, built without an API call ("" before the thread exists)."""
    if not conv.thread_ts:
        return ""
    if team_domain:
        return (f"https://{team_domain}.slack.com/archives/{conv.slack_channel}"
                f"/p{conv.thread_ts.replace('.', '')}")
    return (f"https://slack.com/app_redirect?channel={conv.slack_channel}"
            f"&message_ts={conv.thread_ts}")


def customer_label(customer: Customer | None, conv: Conversation) -> str:
    """A name for a link label (``|`` would end the label early)."""
    if customer is not None and (customer.name or customer.username):
        label = customer.name or f"@{customer.username}"
    else:
        label = f"{conv.key.channel}:{conv.key.chat_id}"
    return label.replace("|", "/")


def duration(seconds: float | None) -> str:
    """``45s``, ``13m 20s``, ``3h 05m``, ``2d 4h``; ``–`` for nothing."""
    if seconds is None:
        return "–"
    s = int(round(seconds))
    days, hours, minutes = s // 86400, s % 86400 // 3600, s % 3600 // 60
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {s % 60:02d}s" if minutes else f"{s}s"


def when(iso: str, tz: str = "UTC") -> str:
    """A stored ISO instant as ``2026-12-24 09:00 Europe/Paris`` ("" stays "")."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(tz)).strftime(f"%Y-%m-%d %H:%M {tz}")


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{round(rate * 100)}%"


def figures_context(f: Figures) -> dict[str, Any]:
    return {"conversations": f.conversations, "leads": f.leads, "accepted": f.accepted,
            "declined": f.declined, "answered": f.answered,
            "accept_rate": percent(f.accept_rate), "decline_rate": percent(f.decline_rate),
            "median": duration(f.median_first_response), "p90": duration(f.p90_first_response),
            "estimate": duration(f.estimate),
            "phrase": phrase(f.estimate) if f.estimate is not None else ""}


def describe(setting: str, value: Any) -> str:
    """A setting's value for the change confirmation and the audit trail."""
    if setting == "pause" and isinstance(value, Mapping) and value.get("id"):
        until = f"until {when(str(value.get('until')))}" if value.get("until") else "until resumed"
        message = str(value.get("message") or "")
        return f"paused {until}" + (f": {message}" if message else "")
    if setting == "pause":
        return "not paused"
    return shown(value)


def shown(value: Any) -> str:
    """A setting's value on one line: lists joined, mappings as ``key=value``."""
    if value is None or value == "" or value == {} or value == []:
        return "(none)"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={shown(v)}" for k, v in value.items() if v not in ("", None))
    if isinstance(value, (list, tuple)):
        return ", ".join(shown(v) for v in value)
    return str(value)
