"""Business hours: parsing, is_open and next_opening across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.manager.hours import BusinessHours, moment, parse_hours

PARIS = "Mon-Fri 09:00-18:00 Sat 10:00-14:00 tz=Europe/Paris"
NEW_YORK = "Mon-Fri 09:00-17:00 tz=America/New_York"


def hours(spec: str) -> BusinessHours:
    parsed = parse_hours(spec)
    assert isinstance(parsed, BusinessHours), parsed
    return parsed


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("text", "spec"), [
    (PARIS, PARIS),
    ("mon-fri 9:00-12:00 13:00-18:00", "Mon-Fri 09:00-12:00 13:00-18:00 tz=UTC"),
    ("Sat,Sun 10:00-16:00 tz=Asia/Tokyo", "Sat-Sun 10:00-16:00 tz=Asia/Tokyo"),
    ("Fri-Mon 00:00-24:00", "Mon 00:00-24:00 Fri-Sun 00:00-24:00 tz=UTC"),
    ("Monday 09:00-10:00 Wed 09:00-10:00", "Mon 09:00-10:00 Wed 09:00-10:00 tz=UTC"),
])
def test_parse_and_canonical_text(text: str, spec: str) -> None:
    assert hours(text).spec() == spec
    assert hours(spec).spec() == spec  # the canonical text reads back the same


@pytest.mark.parametrize(("text", "problem"), [
    ("", ("empty_hours", "")),
    ("Mon-Fri", ("no_range", "Mon-Fri")),
    ("Mon-Fri Sat 10:00-12:00", ("no_range", "Mon-Fri")),
    ("09:00-18:00", ("range_before_day", "09:00-18:00")),
    ("Funday 09:00-18:00", ("bad_day", "Funday")),
    ("Mon 18:00-09:00", ("bad_range", "18:00-09:00")),
    ("Mon 09:00-25:00", ("bad_time", "09:00-25:00")),
    ("Mon 09:70-10:00", ("bad_time", "09:70-10:00")),
    ("Mon 09:00-12:00 Mon 11:00-13:00", ("overlap", "Mon")),
    ("Mon 09:00-18:00 tz=Mars/Olympus", ("bad_tz", "Mars/Olympus")),
])
def test_parse_problems(text: str, problem: tuple[str, str]) -> None:
    assert parse_hours(text) == problem


@pytest.mark.parametrize(("spec", "at", "is_open", "next_opening"), [
    # Saturday 2026-10-24 20:00 CEST (18:00 UTC): closed; the clocks go back on Sunday, so
    # Monday 09:00 is CET = 08:00 UTC (not 07:00 UTC as it was the week before)
    (PARIS, "2026-10-24 18:00", False, "2026-10-26 08:00"),
    (PARIS, "2026-10-26 07:30", False, "2026-10-26 08:00"),  # 08:30 CET
    (PARIS, "2026-10-26 08:30", True, "2026-10-27 08:00"),  # 09:30 CET
    (PARIS, "2026-10-23 06:59", False, "2026-10-23 07:00"),  # Fri 08:59 CEST
    (PARIS, "2026-10-24 11:00", True, "2026-10-26 08:00"),  # Sat 13:00 CEST
    (PARIS, "2026-10-24 12:00", False, "2026-10-26 08:00"),  # Sat 14:00 CEST: just closed
    # New York falls back on Sunday 2026-11-01: Friday 09:00 EDT is 13:00 UTC, Monday 09:00
    # EST is 14:00 UTC
    (NEW_YORK, "2026-10-30 22:00", False, "2026-11-02 14:00"),
    (NEW_YORK, "2026-11-02 13:30", False, "2026-11-02 14:00"),
    (NEW_YORK, "2026-10-30 13:30", True, "2026-11-02 14:00"),
    # spring forward in Paris (Sun 2026-03-29): Monday 09:00 CEST is 07:00 UTC
    (PARIS, "2026-03-28 20:00", False, "2026-03-30 07:00"),
])
def test_open_and_next_opening_across_dst(spec: str, at: str, is_open: bool,
                                          next_opening: str) -> None:
    h = hours(spec)
    assert h.is_open(utc(at)) is is_open
    assert h.next_opening(utc(at)) == utc(next_opening)


def test_next_opening_is_shown_on_the_local_clock() -> None:
    opening = hours(PARIS).next_opening(utc("2026-10-24 18:00"))
    assert opening is not None
    shown = moment(opening, "Europe/Paris")
    assert (shown.weekday, shown.date, shown.time, shown.tz) == (
        0, "2026-10-26", "09:00", "Europe/Paris")


def test_a_window_ending_at_midnight() -> None:
    h = hours("Mon 20:00-24:00")
    assert h.is_open(utc("2026-11-02 23:59"))
    assert not h.is_open(utc("2026-11-03 00:00"))
    assert h.next_opening(utc("2026-11-03 00:00")) == utc("2026-11-09 20:00")
