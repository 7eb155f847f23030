"""The slash command's text → a typed command, or the exact problem and which usage line to
show. Pure: nothing here reads the store or the clock (checks that need them, like "is
there such a pool?", are made by the service)."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.lead_rules import owner_id
from bot.manager.commands import (
    Command,
    EditChoices,
    Help,
    Inherit,
    ListConversations,
    Parsed,
    ParseError,
    PoolCommand,
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
from bot.formatting import slack_unescape
from bot.manager.parse_pause import parse_pause, parse_resume
from bot.models import Status
from bot.preferences import INBOX_SCOPED

#: the shape of a channel kind; which ones this release knows, the service checks
_CHANNEL = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_ROWS = 100
MAX_VALUE = 60
_POOL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_DAYS = re.compile(r"^(\d{1,3})d$")
_PUBLIC = re.compile(r"\s+public\s*$|^\s*public\s*$", re.IGNORECASE)
_INBOX = re.compile(r"(?:^|\s+)inbox=(\S*)", re.IGNORECASE)
_INBOX_NAME = re.compile(r"^[a-z0-9_-]{1,64}$")
#: ``inbox=all``: the desk-wide settings and every inbox's figures
ALL_INBOXES = "all"


# -- parsing --------------------------------------------------------------------------------

Reader = Callable[[str, list[str]], Command | ParseError]


def parse(text: str) -> Parsed | ParseError:
    """:param text: what follows the command name, as Slack sends it"""
    text, public = _PUBLIC.sub("", text), bool(_PUBLIC.search(text))
    inboxes = [match.group(1) for match in _INBOX.finditer(text)]
    text = _INBOX.sub("", text).strip()
    name, rest = (text.split(None, 1) + ["", ""])[:2]
    name = name.lower() or "summary"
    reader = _READERS.get(name)
    if reader is None:
        return ParseError("unknown_subcommand", name, "help")
    inbox = _inbox(inboxes, name)
    if isinstance(inbox, ParseError):
        return inbox
    result = reader(rest.strip(), rest.split())
    if isinstance(result, ParseError):
        return result
    return Parsed(result, name, public, inbox)


def _inbox(values: list[str], subcommand: str) -> str | None | ParseError:
    """The one ``inbox=NAME`` of the command (whether such an inbox exists is the
    service's check: the parser knows no configuration)."""
    if len(values) > 1:
        return ParseError("extra", f"inbox={values[1]}", subcommand)
    if not values:
        return None
    name = values[0].lower()
    return name if _INBOX_NAME.match(name) else ParseError("bad_inbox", values[0], subcommand)


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
    if not _CHANNEL.match(channel):
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
    return _DEFAULTS[field](slack_unescape(value))


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
    if not _CHANNEL.match(channel):
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
        value = slack_unescape(rest.split(None, 1)[1].strip()) if len(words) > 1 else ""
        if not value:
            return ParseError("missing_value", setting, setting)
        return _checked_value(value, setting) or EditChoices(setting, action, value)

    return read


#: ``inherit``'s short names, as the setting commands are called
_INHERIT_ALIASES = {"hours": "business_hours", "intake": "intake_closed",
                    "owner": "default_owner", "pool": "default_pool",
                    "status": "default_status", "source": "source_by_channel"}


def _inherit(rest: str, words: list[str]) -> Command | ParseError:
    if not words:
        return ParseError("missing_setting", "", "inherit")
    if len(words) > 1:
        return ParseError("extra", words[1], "inherit")
    name = _INHERIT_ALIASES.get(words[0].lower(), words[0].lower())
    if name not in INBOX_SCOPED:
        return ParseError("not_per_inbox", words[0], "inherit")
    return Inherit(name)


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
    "summary": _summary, "list": _list, "stats": _stats, "pause": parse_pause,
    "resume": parse_resume, "hours": _hours, "intake": _intake, "pool": _pool,
    "default": _default, "statuses": _choices("statuses"), "sources": _choices("sources"),
    "set": parse_set, "inherit": _inherit, "settings": _settings, "audit": _audit, "help": _help}
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
