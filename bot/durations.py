"""The one duration grammar of the desk: ``90s``, ``15m``, ``24h``, ``7d``, ``2w``.

Used by ``/leads set`` (timers), ``/leads pause for …`` and the channel rules, so a
manager never learns two. A bare number is seconds (stored preferences use it).
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)?\s*$")
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400, None: 1}


def parse_duration(value: object) -> timedelta:
    """``900`` (seconds), ``"90s"``, ``"15m"``, ``"24h"``, ``"7d"``, ``"2w"``.

    :raise ValueError: for anything else, or a negative or endless value
    """
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value.lower())):
        seconds = float(match[1]) * _UNITS[match[2]]
    if seconds is None or seconds < 0 or not math.isfinite(seconds):
        raise ValueError(f"not a duration: {value!r} (try 90s, 15m, 24h, 7d or 2w)")
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
