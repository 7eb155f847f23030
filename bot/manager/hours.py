"""Business hours: weekly opening windows in one time zone. Pure; zoneinfo does the DST.

Every comparison and subtraction is made between instants converted to UTC: Python compares
and subtracts two datetimes that share a ``ZoneInfo`` on their wall clocks, which is wrong
on the day the clocks change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_MINUTES = 24 * 60
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_DAY_SPAN = re.compile(r"^([a-z]{3,})(?:-([a-z]{3,}))?$")

Problem = tuple[str, str]
"""(problem code, detail) for :func:`parse_hours`; the Slack template words it."""


@dataclass(frozen=True, slots=True, order=True)
class Window:
    weekday: int  # 0 = Monday
    start: int  # minutes after local midnight
    end: int  # exclusive; 1440 is the midnight that ends the day


@dataclass(frozen=True, slots=True)
class Moment:
    """An instant as a customer reads it: weekday number, date and time in ``tz``."""

    weekday: int
    date: str
    time: str
    tz: str


@dataclass(frozen=True, slots=True)
class BusinessHours:
    tz: str
    windows: tuple[Window, ...]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The local ``day``'s opening windows as UTC instants, earliest first."""
        zone = self.zone
        return [(_instant(day, w.start, zone), _instant(day, w.end, zone))
                for w in sorted(self.windows) if w.weekday == day.weekday()]

    def is_open(self, at: datetime) -> bool:
        at = at.astimezone(UTC)
        return any(s <= at < e for s, e in self.intervals(_local_date(at, self.zone)))

    def next_opening(self, at: datetime) -> datetime | None:
        """The first window start after ``at`` (UTC), or None without any window."""
        at = at.astimezone(UTC)
        first = _local_date(at, self.zone)
        for offset in range(8):
            for start, _ in self.intervals(first + timedelta(days=offset)):
                if start > at:
                    return start
        return None

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Seconds of ``[start, end)`` that fall inside opening windows."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        day, last, total = _local_date(start, self.zone), _local_date(end, self.zone), 0.0
        while day <= last:
            for s, e in self.intervals(day):
                total += max(0.0, (min(e, end) - max(s, start)).total_seconds())
            day += timedelta(days=1)
        return total

    def moment(self, at: datetime) -> Moment:
        return moment(at, self.tz)

    def spec(self) -> str:
        """Canonical text that :func:`parse_hours` reads back, e.g.
        ``Mon-Fri 09:00-18:00 Sat 10:00-14:00 tz=Europe/Paris``."""
        parts = [f"{_day_span(days)} {ranges}" for days, ranges in _groups(self.windows)]
        return " ".join([*parts, f"tz={self.tz}"])


def moment(at: datetime, tz: str) -> Moment:
    """``at`` on the wall clock of ``tz``."""
    local = at.astimezone(ZoneInfo(tz))
    return Moment(local.weekday(), local.strftime("%Y-%m-%d"), local.strftime("%H:%M"), tz)


#: business hours assumed by the stats when a desk has set none
DEFAULT_HOURS = BusinessHours("UTC", tuple(Window(d, 7 * 60, 21 * 60) for d in range(7)))


def _instant(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    day += timedelta(days=minutes // DAY_MINUTES)
    wall = time(minutes % DAY_MINUTES // 60, minutes % 60)
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def _local_date(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date()


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _groups(windows: tuple[Window, ...]) -> list[tuple[list[int], str]]:
    """Consecutive weekdays that share the same ranges, with those ranges as text."""
    by_day = {d: " ".join(f"{_clock(w.start)}-{_clock(w.end)}" for w in sorted(windows)
                          if w.weekday == d) for d in range(7)}
    groups: list[tuple[list[int], str]] = []
    for day in range(7):
        if not by_day[day]:
            continue
        if groups and groups[-1][0][-1] == day - 1 and groups[-1][1] == by_day[day]:
            groups[-1][0].append(day)
        else:
            groups.append(([day], by_day[day]))
    return groups


def _day_span(days: list[int]) -> str:
    return DAYS[days[0]] if len(days) == 1 else f"{DAYS[days[0]]}-{DAYS[days[-1]]}"


# -- parsing ---------------------------------------------------------------------------------


def parse_hours(text: str) -> BusinessHours | Problem:
    """Read ``Mon-Fri 09:00-18:00 Sat 10:00-14:00 tz=Europe/Paris`` (tz defaults to UTC)."""
    reader = _HoursReader()
    for token in text.split():
        if (problem := reader.read(token)) is not None:
            return problem
    return reader.finish()


@dataclass
class _HoursReader:
    tz: str = "UTC"
    windows: list[Window] = field(default_factory=list)
    days: list[int] | None = None
    #: the current day group has at least one time range
    used: bool = True

    def read(self, token: str) -> Problem | None:
        if token.lower().startswith("tz="):
            self.tz = token[3:]
            return None if valid_zone(self.tz) else ("bad_tz", self.tz)
        if _RANGE.match(token):
            return self._range(token)
        if not self.used:
            return "no_range", _day_span(self.days or [0])
        self.days, self.used = parse_days(token), False
        return ("bad_day", token) if self.days is None else None

    def _range(self, token: str) -> Problem | None:
        if self.days is None:
            return "range_before_day", token
        span = _minutes(token)
        if isinstance(span, str):
            return span, token
        self.windows += [Window(d, *span) for d in self.days]
        self.used = True
        return None

    def finish(self) -> BusinessHours | Problem:
        if not self.used:
            return "no_range", _day_span(self.days or [0])
        if not self.windows:
            return "empty_hours", ""
        ordered = sorted(self.windows)
        for before, after in zip(ordered, ordered[1:]):
            if before.weekday == after.weekday and after.start < before.end:
                return "overlap", DAYS[after.weekday]
        return BusinessHours(self.tz, tuple(ordered))


def _minutes(token: str) -> tuple[int, int] | str:
    """``09:00-18:00`` → (540, 1080), or a problem code."""
    h1, m1, h2, m2 = (int(g) for g in _RANGE.findall(token)[0])
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > DAY_MINUTES:
        return "bad_time"
    return (start, end) if end > start else "bad_range"


def parse_days(token: str) -> list[int] | None:
    """``Mon``, ``mon-fri``, ``Fri-Mon`` (wraps), ``Mon,Wed,Fri`` → weekday numbers."""
    days: list[int] = []
    for part in token.lower().split(","):
        match = _DAY_SPAN.match(part)
        first = _day(match.group(1)) if match else None
        last = _day(match.group(2) or match.group(1)) if match else None
        if first is None or last is None:
            return None
        days += [(first + i) % 7 for i in range((last - first) % 7 + 1)]
    return sorted(set(days))


def _day(name: str) -> int | None:
    full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    return next((i for i, day in enumerate(full) if day.startswith(name)), None)


def valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
