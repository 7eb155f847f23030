"""The lifecycle timers' settings: read from the desk's preferences and validated."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot import loggers
from bot.durations import human_duration, parse_duration
from bot.preferences import DEFAULTS, preference
from storage.base import BaseStorage

NOTIFY_CHOICES = ("owner", "channel", "none")
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


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
