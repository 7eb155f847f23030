"""The slash command's text → a typed command, or the exact problem and which usage line to
show. Pure: nothing here reads the store or the clock (checks that need them, like "is
there such a pool?", are made by the service)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, time, timedelta

from bot.lead_rules import owner_id
from bot.manager.commands import (
    Command,
    EditChoices,
    Help,
    ListConversations,
    Parsed,
    ParseError,
    Pause,
    PoolCommand,
    Resume,
    SetDefault,
    SetHours,
    SetIntake,
    ShowAudit,
    ShowSettings,
    ShowStats,
    Summary,
)
from bot.manager.hours import parse_hours
from bot.manager.parse_options import parse_set
from bot.models import Status

#: channels whose intake can be switched; their names as the store keys them
CHANNELS = ("telegram", "wechat", "webchat")
MAX_ROWS = 100
MAX_VALUE = 60
_POOL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_DURATION = re.compile(r"^(\d{1,4})([mhdw])$")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DAYS = re.compile(r"^(\d{1,3})d$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_PUBLIC = re.compile(r"\s+public\s*$|^\s*public\s*$", re.IGNORECASE)


# -- parsing --------------------------------------------------------------------------------

Reader = Callable[[str, list[str]], Command | ParseError]


def parse(text: str) -> Parsed | ParseError:
    """:param text: what follows the command name, as Slack sends it"""
    text, public = _PUBLIC.sub("", text), bool(_PUBLIC.search(text))
    name, rest = (text.split(None, 1) + ["", ""])[:2]
    name = name.lower() or "summary"
    reader = _READERS.get(name)
    if reader is None:
        return ParseError("unknown_subcommand", name, "help")
    result = reader(rest.strip(), rest.split())
    if isinstance(result, ParseError):
        return result
    return Parsed(result, name, public)


def _summary(rest: str, words: list[str]) -> Command | ParseError:
    return ParseError("extra", words[0], "summary") if words else Summary()


def _list(rest: str, words: list[str]) -> Command | ParseError:
    if not words:
        return ParseError("missing_status", "", "list")
    if words[0].lower() not in set(Status):
        return ParseError("bad_status", words[0], "list")
    if len(words) > 2:
        return ParseError("extra", words[2], "list")
    limit = _count(words[1], "list") if len(words) == 2 else 20
    return limit if isinstance(limit, ParseError) else ListConversations(
        Status(words[0].lower()), limit)


def _stats(rest: str, words: list[str]) -> Command | ParseError:
    days, operator = 30, ""
    for word in words:
        if match := _DAYS.match(word.lower()):
            days = int(match.group(1))
            if not 1 <= days <= 365:
                return ParseError("bad_period", word, "stats")
        elif word.startswith(("<@", "@")) or owner_id(word):
            user = _user(word, "stats")
            if isinstance(user, ParseError):
                return user
            operator = user
        else:
            return ParseError("bad_period", word, "stats")
    return ShowStats(days, operator)


def _pause(rest: str, words: list[str]) -> Command | ParseError:
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
    match = _DURATION.match(parts[1].lower())
    seconds = int(match.group(1)) * _UNITS[match.group(2)] if match else 0
    if not 0 < seconds <= 366 * 86400:
        return ParseError("bad_duration", parts[1], "pause")
    return _message(parts[2] if len(parts) > 2 else "", Pause(timedelta(seconds=seconds)))


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
    message = unescape(text.strip())
    if len(message) > 500:
        return ParseError("too_long", "500", "pause")
    return Pause(pause.duration, pause.until, pause.until_time, message)


def _resume(rest: str, words: list[str]) -> Command | ParseError:
    return ParseError("extra", words[0], "resume") if words else Resume()


def _hours(rest: str, words: list[str]) -> Command | ParseError:
    if not words:
        return ParseError("missing_hours", "", "hours")
    if [w.lower() for w in words] == ["off"]:
        return SetHours(None)
    hours = parse_hours(rest)
    if isinstance(hours, tuple):
        return ParseError(hours[0], hours[1], "hours")
    return SetHours(hours)


def _intake(rest: str, words: list[str]) -> Command | ParseError:
    if len(words) < 2:
        return ParseError("missing_intake", "", "intake")
    channel, switch = words[0].lower(), words[1].lower()
    if channel not in CHANNELS:
        return ParseError("bad_channel", words[0], "intake")
    if switch not in ("on", "off"):
        return ParseError("bad_switch", words[1], "intake")
    if len(words) > 2:
        return ParseError("extra", words[2], "intake")
    return SetIntake(channel, switch == "on")


def _pool(rest: str, words: list[str]) -> Command | ParseError:
    action = words[0].lower() if words else ""
    if action == "list":
        return ParseError("extra", words[1], "pool") if len(words) > 1 else PoolCommand("list")
    if action not in ("create", "add", "remove", "delete"):
        return ParseError("bad_pool_action", action, "pool")
    if len(words) < 2:
        return ParseError("missing_pool", "", "pool")
    if not _POOL_NAME.match(words[1]):
        return ParseError("bad_pool_name", words[1], "pool")
    return _pool_members(action, words[1], words[2:])


def _pool_members(action: str, name: str, words: list[str]) -> Command | ParseError:
    if action == "delete" and words:
        return ParseError("extra", words[0], "pool")
    if action in ("add", "remove") and not words:
        return ParseError("missing_members", "", "pool")
    members = []
    for word in words:
        user = _user(word, "pool")
        if isinstance(user, ParseError):
            return user
        members.append(user)
    return PoolCommand(action, name, tuple(dict.fromkeys(members)))


def _default(rest: str, words: list[str]) -> Command | ParseError:
    field = words[0].lower() if words else ""
    value = rest.split(None, 1)[1].strip() if len(words) > 1 else ""
    if field not in ("owner", "pool", "status", "source"):
        return ParseError("bad_default", field, "default")
    if not value:
        return ParseError("missing_value", field, "default")
    return _DEFAULTS[field](unescape(value))


def _default_owner(value: str) -> Command | ParseError:
    if value.lower() == "none":
        return SetDefault("owner", "")
    user = _user(value, "default")
    return user if isinstance(user, ParseError) else SetDefault("owner", user)


def _default_pool(value: str) -> Command | ParseError:
    if value.lower() == "none":
        return SetDefault("pool", "")
    if not _POOL_NAME.match(value):
        return ParseError("bad_pool_name", value, "default")
    return SetDefault("pool", value)


def _default_status(value: str) -> Command | ParseError:
    return _checked_value(value, "default") or SetDefault("status", value)


def _default_source(value: str) -> Command | ParseError:
    channel, sep, source = value.partition("=")
    channel, source = channel.strip().lower(), source.strip()
    if not sep or not channel or not source:
        return ParseError("bad_source_pair", value, "default")
    if channel not in CHANNELS:
        return ParseError("bad_channel", channel, "default")
    if source.lower() == "none":
        return SetDefault("source", "", channel)
    return _checked_value(source, "default") or SetDefault("source", source, channel)


_DEFAULTS: dict[str, Callable[[str], Command | ParseError]] = {
    "owner": _default_owner, "pool": _default_pool, "status": _default_status,
    "source": _default_source}


def _choices(setting: str) -> Reader:
    def read(rest: str, words: list[str]) -> Command | ParseError:
        action = words[0].lower() if words else ""
        if action not in ("add", "remove"):
            return ParseError("bad_choices_action", action, setting)
        value = unescape(rest.split(None, 1)[1].strip()) if len(words) > 1 else ""
        if not value:
            return ParseError("missing_value", setting, setting)
        return _checked_value(value, setting) or EditChoices(setting, action, value)

    return read


def _settings(rest: str, words: list[str]) -> Command | ParseError:
    return ParseError("extra", words[0], "settings") if words else ShowSettings()


def _audit(rest: str, words: list[str]) -> Command | ParseError:
    if len(words) > 1:
        return ParseError("extra", words[1], "audit")
    limit = _count(words[0], "audit") if words else 10
    return limit if isinstance(limit, ParseError) else ShowAudit(limit)


def _help(rest: str, words: list[str]) -> Command | ParseError:
    return Help()


_READERS: dict[str, Reader] = {
    "summary": _summary, "list": _list, "stats": _stats, "pause": _pause,
    "resume": _resume, "hours": _hours, "intake": _intake, "pool": _pool,
    "default": _default, "statuses": _choices("statuses"), "sources": _choices("sources"),
    "set": parse_set, "settings": _settings, "audit": _audit, "help": _help}
SUBCOMMANDS = tuple(_READERS)


# -- small readers ---------------------------------------------------------------------------


def _count(word: str, subcommand: str) -> int | ParseError:
    if not word.isdigit() or not 1 <= int(word) <= MAX_ROWS:
        return ParseError("bad_count", word, subcommand)
    return int(word)


def _user(word: str, subcommand: str) -> str | ParseError:
    """``<@U123>``, ``<@U123|ann>`` (how Slack escapes mentions) or ``U123``."""
    if (user := owner_id(word)) is not None:
        return user
    problem = "plain_mention" if word.startswith("@") else "bad_mention"
    return ParseError(problem, word, subcommand)


def _checked_value(value: str, subcommand: str) -> ParseError | None:
    if len(value) > MAX_VALUE or "\n" in value or "=" in value:
        return ParseError("bad_value", value, subcommand)
    return None


def _date(word: str) -> date | None:
    try:
        return date.fromisoformat(word) if _DATE.match(word) else None
    except ValueError:
        return None


def _clock(word: str) -> time | None:
    hour, minute = (int(part) for part in word.split(":"))
    return time(hour, minute) if hour <= 23 and minute <= 59 else None


def unescape(text: str) -> str:
    """Slack escapes ``&``, ``<`` and ``>`` in the command text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
