"""The lifecycle timers' settings: read from the desk's preferences and validated."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot import loggers
from bot.preferences import DEFAULTS, preference
from storage.base import BaseStorage

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d)?\s*$")
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, None: 1}
NOTIFY_CHOICES = ("owner", "channel", "none")
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


def parse_duration(value: object) -> timedelta:
    """``900`` (seconds), ``"90s"``, ``"15m"``, ``"24h"``, ``"7d"``. :raise ValueError:"""
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value.lower())):
        seconds = float(match[1]) * _UNITS[match[2]]
    if seconds is None or seconds < 0 or not math.isfinite(seconds):
        raise ValueError(f"not a duration: {value!r} (try 90s, 15m, 24h or 7d)")
    return timedelta(seconds=seconds)


def human_duration(delta: timedelta) -> str:
    """``45 s``, ``15 min``, ``41 h``, ``7 days``: rounded down to one unit."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 3 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


@dataclass(frozen=True)
class LifecyclePolicy:
    """``None`` turns an optional timer off."""

    missed_after: timedelta | None
    missed_notify: str
    missed_close_after: timedelta
    idle_close_after: timedelta | None
    idle_close_notify: bool
    inactive_after: timedelta | None
    reopen_within: timedelta


def _duration(low: timedelta, high: timedelta, *, optional: bool) -> Callable[[Any], Any]:
    def parse(value: Any) -> timedelta | None:
        delta = parse_duration(value)
        if optional and not delta:
            return None
        if not low <= delta <= high:
            raise ValueError(f"{human_duration(delta)} is outside "
                             f"{human_duration(low)}–{human_duration(high)}")
        return delta
    return parse


def _choice(value: Any) -> str:
    if value not in NOTIFY_CHOICES:
        raise ValueError(f"{value!r} is not one of {', '.join(NOTIFY_CHOICES)}")
    return str(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true or false")
    return value


PARSERS: dict[str, Callable[[Any], Any]] = {
    "missed_after": _duration(MINUTE, 30 * DAY, optional=True),
    "missed_notify": _choice,
    "missed_close_after": _duration(15 * MINUTE, 30 * DAY, optional=False),
    "idle_close_after": _duration(MINUTE, 24 * HOUR, optional=True),
    "idle_close_notify": _flag,
    "inactive_after": _duration(MINUTE, 365 * DAY, optional=True),
    "reopen_within": _duration(timedelta(0), 365 * DAY, optional=False),
}


def lifecycle_problem(name: str, value: Any) -> str:
    """:return: why ``value`` is not valid for the setting ``name``, or ``""``"""
    try:
        PARSERS[name](value)
    except ValueError as exc:
        return f"{name}: {exc}"
    return ""


def lifecycle_policy(values: Mapping[str, Any]) -> tuple[LifecyclePolicy, list[str]]:
    """The policy from preference values (missing → default); an invalid value is replaced
    by its default and reported. :return: the policy and the problems found"""
    parsed, problems = {}, []
    for name, parse in PARSERS.items():
        value = values.get(name, DEFAULTS[name])
        if problem := lifecycle_problem(name, value):
            problems.append(problem)
            value = DEFAULTS[name]
        parsed[name] = parse(value)
    return LifecyclePolicy(**parsed), problems


DEFAULT_POLICY = lifecycle_policy({})[0]


async def load_lifecycle_policy(storage: BaseStorage) -> LifecyclePolicy:
    values = {name: await preference(storage, name) for name in PARSERS}
    policy, problems = lifecycle_policy(values)
    for problem in problems:
        loggers.lifecycle.warning("invalid lifecycle setting, using its default: %s", problem)
    return policy
