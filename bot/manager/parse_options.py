"""``/leads set NAME VALUE``: the desk switches and timer durations a manager may change.
Pure, like the rest of the parser."""

from __future__ import annotations

import re

from bot.lifecycle.policy import lifecycle_problem
from bot.manager.commands import Command, ParseError, SetOption

#: what ``set`` may change: on/off switches, words from a list, and timer durations
SWITCHES = ("show_operator_name", "notify_on_accept", "goodbye_on_close", "history_sync",
            "operators_are_crm_users", "operators_may_assign_any_owner", "idle_close_notify")
WORDS = {"missed_notify": ("owner", "channel", "none")}
DURATIONS = ("missed_after", "missed_close_after", "idle_close_after", "inactive_after",
             "reopen_within")
OPTIONS = (*SWITCHES, "delivery_reaction", *WORDS, *DURATIONS)
_ON, _OFF = ("on", "true", "yes"), ("off", "false", "no")
_EMOJI = re.compile(r"^:?([a-z0-9_+-]{1,40}):?$")


def parse_set(rest: str, words: list[str]) -> Command | ParseError:
    if len(words) < 2:
        return ParseError("missing_option", words[0] if words else "", "set")
    name, value = words[0].lower(), " ".join(words[1:]).strip()
    if name not in OPTIONS:
        return ParseError("unknown_option", name, "set")
    if len(words) > 2:
        return ParseError("extra", words[2], "set")
    parsed = _option_value(name, value)
    return ParseError("bad_option_value", value, "set") if parsed is None else SetOption(
        name, parsed)


def _option_value(name: str, value: str) -> bool | str | None:
    word = value.lower()
    if name in SWITCHES:
        return True if word in _ON else False if word in _OFF else None
    if name in WORDS:
        return word if word in WORDS[name] else None
    if name == "delivery_reaction":
        match = _EMOJI.match(word)
        return "" if word == "none" else match.group(1) if match else None
    return None if lifecycle_problem(name, word) else word
