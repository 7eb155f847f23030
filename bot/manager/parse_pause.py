"""``/leads pause [for 3d | until 2026-12-24 [09:00]] [message]`` and ``/leads resume``.
Pure, like the rest of the parser."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from bot.durations import parse_duration
from bot.formatting import slack_unescape
from bot.manager.commands import Command, ParseError, Pause, Resume

MAX_PAUSE = timedelta(days=366)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_pause(rest: str, words: list[str]) -> Command | ParseError:
    first = words[0].lower() if words else ""
    if first == "for":
        return _pause_for(rest)
    if first == "until":
        return _pause_until(rest)
    return _message(rest, Pause())


def _pause_for(rest: str) -> Command | ParseError:
    parts = rest.split(None, 2)
    if len(parts) < 2:
        return ParseError("missing_duration", "", "pause")
    try:
        duration = parse_duration(parts[1])
    except ValueError:
        duration = timedelta(0)
    if not timedelta(0) < duration <= MAX_PAUSE:
        return ParseError("bad_duration", parts[1], "pause")
    return _message(parts[2] if len(parts) > 2 else "", Pause(duration))


def _pause_until(rest: str) -> Command | ParseError:
    parts = rest.split(None, 3)
    if len(parts) < 2:
        return ParseError("missing_date", "", "pause")
    day = _date(parts[1])
    if day is None:
        return ParseError("bad_date", parts[1], "pause")
    if len(parts) < 3 or not _CLOCK.match(parts[2]):
        return _message(" ".join(parts[2:]), Pause(until=day))
    if (at := _clock(parts[2])) is None:
        return ParseError("bad_time", parts[2], "pause")
    return _message(parts[3] if len(parts) > 3 else "", Pause(until=day, until_time=at))


def _message(text: str, pause: Pause) -> Command | ParseError:
    message = slack_unescape(text.strip())
    if len(message) > 500:
        return ParseError("too_long", "500", "pause")
    return Pause(pause.duration, pause.until, pause.until_time, message)


def parse_resume(rest: str, words: list[str]) -> Command | ParseError:
    return ParseError("extra", words[0], "resume") if words else Resume()


def _date(word: str) -> date | None:
    try:
        return date.fromisoformat(word) if _DATE.match(word) else None
    except ValueError:
        return None


def _clock(word: str) -> time | None:
    hour, minute = (int(part) for part in word.split(":"))
    return time(hour, minute) if hour <= 23 and minute <= 59 else None

