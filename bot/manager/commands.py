"""The managers' command vocabulary: one frozen dataclass per subcommand, and who may run
each. :mod:`bot.manager.parse` builds them from text; the service runs them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from bot.manager.hours import BusinessHours
from bot.models import Status


@dataclass(frozen=True, slots=True)
class Summary:
    pass


@dataclass(frozen=True, slots=True)
class ListConversations:
    status: Status
    limit: int = 20


@dataclass(frozen=True, slots=True)
class ShowStats:
    days: int = 30
    operator: str = ""


@dataclass(frozen=True, slots=True)
class Pause:
    """No end, ``duration``, or ``until`` (+ ``until_time``) in the desk's time zone."""

    duration: timedelta | None = None
    until: date | None = None
    until_time: time | None = None
    message: str = ""


@dataclass(frozen=True, slots=True)
class Resume:
    pass


@dataclass(frozen=True, slots=True)
class SetHours:
    hours: BusinessHours | None  # None: "off"


@dataclass(frozen=True, slots=True)
class SetIntake:
    channel: str
    on: bool


@dataclass(frozen=True, slots=True)
class PoolCommand:
    action: str  # create | add | remove | delete | list
    name: str = ""
    members: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SetDefault:
    field: str  # owner | pool | status | source
    value: str  # "" clears owner, pool and a channel's source
    channel: str = ""  # for source


@dataclass(frozen=True, slots=True)
class EditChoices:
    setting: str  # statuses | sources
    action: str  # add | remove
    value: str


@dataclass(frozen=True, slots=True)
class SetOption:
    """``set NAME VALUE``: one of the desk switches or timer durations (see ``OPTIONS``)."""

    name: str
    value: bool | str


@dataclass(frozen=True, slots=True)
class Inherit:
    """``inherit SETTING``: the selected inbox drops its own value and follows the desk's."""

    setting: str


@dataclass(frozen=True, slots=True)
class ShowSettings:
    pass


@dataclass(frozen=True, slots=True)
class ShowAudit:
    limit: int = 10


@dataclass(frozen=True, slots=True)
class Help:
    pass


Command = (Summary | ListConversations | ShowStats | Pause | Resume | SetHours | SetIntake
           | PoolCommand | SetDefault | EditChoices | SetOption | Inherit | ShowSettings
           | ShowAudit | Help)


@dataclass(frozen=True, slots=True)
class Parsed:
    command: Command
    subcommand: str
    #: answer in the channel instead of only to the caller (a trailing ``public``)
    public: bool = False
    #: ``inbox=NAME`` in the text: the inbox it acts on, ``all`` for desk-wide; None:
    #: the inbox whose Slack channel it was run in
    inbox: str | None = None


@dataclass(frozen=True, slots=True)
class ParseError:
    problem: str
    detail: str
    #: whose usage line to show ("help": all of them)
    subcommand: str


def is_change(command: Command) -> bool:
    """Whether the command changes a setting (managers only)."""
    if isinstance(command, PoolCommand):
        return command.action != "list"
    return isinstance(command, (Pause, Resume, SetHours, SetIntake, SetDefault, EditChoices,
                                SetOption, Inherit))


def named_channel(command: Command) -> str:
    """The channel kind a command names (intake, a channel's default source); "" for none."""
    if isinstance(command, SetIntake):
        return command.channel
    return command.channel if isinstance(command, SetDefault) else ""


def managers_only(command: Command) -> bool:
    """Changes and the audit trail are for managers; reading (inbox, lists, stats,
    settings, pools, help) is for everyone allowed to operate."""
    return is_change(command) or isinstance(command, ShowAudit)
