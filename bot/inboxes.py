"""Inboxes: one brand's way in (its channel accounts) and the Slack channel its threads go to.

Without an inbox file the environment describes one inbox, ``default``; with
``INBOXES_FILE`` the file alone defines them (see the README, "Inboxes and brands").
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from bot.channels import CHANNELS
from bot.channels.telegram.settings import TelegramSettings
from bot.env_reader import Secret, TableReader, toml_type
from bot.models import DEFAULT_INBOX
from bot.policies import channel_policy


@dataclass(frozen=True)
class Inbox:
    """:param slack_bot_token: a bot token of another workspace the Slack app is installed
        in; empty: the app's own ``SLACK_BOT_TOKEN``
    :param accounts: the inbox's accounts on channels that have no field of their own here,
        by channel kind, as the channel's ``settings_from_table`` read them
    :param policies: channel rules per channel kind (``{"telegram": {"window": "24h"}}``),
        merged over the channel's own capabilities
    """

    name: str
    slack_channel: str
    brand: str = ""
    slack_bot_token: Secret = Secret("")
    telegram: TelegramSettings | None = None
    accounts: Mapping[str, Any] = field(default_factory=dict)
    policies: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The brand shown on cards and in ``/leads``."""
        return self.brand or self.name


def default_inbox(*, slack_channel: str, telegram: TelegramSettings) -> Inbox:
    """The one inbox the environment describes when there is no inbox file."""
    return Inbox(name=DEFAULT_INBOX, slack_channel=slack_channel,
                 telegram=telegram if telegram.enabled else None)


INBOX_KEYS = ("brand", "slack_channel", "slack_bot_token", "policies")
# the variables that describe the default inbox, which a file replaces
REPLACED_VARIABLES = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET",
                      "SLACK_CHANNEL")
_NAME = re.compile(r"^[a-z0-9_-]+$")
_SLACK_CHANNEL = re.compile(r"^[A-Z0-9]+$")

SectionReader = Callable[[TableReader], Any]


def channel_sections(from_env: Mapping[str, Any]) -> dict[str, SectionReader]:
    """How each registered channel reads its ``[inboxes.NAME.<channel>]`` table.

    :param from_env: each channel's settings read from the environment (process-wide values)
    """
    return {name: partial(package.settings_from_table, from_env=from_env[name])
            for name, package in CHANNELS.items()}


def is_slack_bot_token(token: str) -> bool:
    return token.startswith("xoxb-")


def load_inboxes(path: str, *, env: Mapping[str, str], sections: Mapping[str, SectionReader],
                 problems: list[str]) -> tuple[Inbox, ...]:
    """The inboxes of the file at ``path``; every problem is added to ``problems``."""
    for variable in REPLACED_VARIABLES:
        if env.get(variable, "").strip():
            problems.append(f"{variable}: not used with INBOXES_FILE, which defines every "
                            "inbox; unset it (the file gives each inbox its own)")
    document = _read_toml(path, problems)
    if document is None:
        return ()
    problems.extend(f"INBOXES_FILE: {path} has an unknown key {key!r}; every table is under "
                    "[inboxes.NAME]" for key in document if key != "inboxes")
    tables = document.get("inboxes", {})
    if not isinstance(tables, Mapping) or not tables:
        problems.append(f"INBOXES_FILE: {path} defines no inbox; add an [inboxes.NAME] table")
        return ()
    inboxes = tuple(inbox for name, table in tables.items()
                    if (inbox := _inbox(name, table, env, sections, problems)) is not None)
    problems.extend(_shared_accounts(inboxes))
    return inboxes


def _read_toml(path: str, problems: list[str]) -> dict[str, Any] | None:
    try:
        return tomllib.loads(Path(path).read_bytes().decode("utf-8"))
    except OSError as exc:
        problems.append(f"INBOXES_FILE: cannot read {path}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        problems.append(f"INBOXES_FILE: {path} is not UTF-8 text")
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"INBOXES_FILE: {path} is not valid TOML: {exc}")
    return None


def _inbox(name: str, table: object, env: Mapping[str, str],
           sections: Mapping[str, SectionReader], problems: list[str]) -> Inbox | None:
    where = f"inboxes.{name}"
    if not _NAME.match(name):
        problems.append(f"{where}: an inbox name is made of a-z, 0-9, _ and -")
        return None
    if not isinstance(table, Mapping):
        problems.append(f"{where}: expected a table, not {toml_type(table)}")
        return None
    t = TableReader(table, where=where, env=env, problems=problems)
    channels = _channels(t, sections)
    slack_bot_token = t.secret("slack_bot_token")
    t.require(not slack_bot_token or is_slack_bot_token(slack_bot_token),
              f"{t.name('slack_bot_token')}: expected a bot token starting with xoxb-")
    return Inbox(name=name, brand=t.text("brand", name), slack_channel=_slack_channel(t),
                 slack_bot_token=slack_bot_token, policies=_policies(t, sections),
                 telegram=channels.pop("telegram", None), accounts=channels)


def _slack_channel(t: TableReader) -> str:
    channel = t.text("slack_channel", required=True)
    t.require(not channel or bool(_SLACK_CHANNEL.match(channel)),
              f"{t.name('slack_channel')}: expected a channel id such as C0123456789 "
              "(channel details, at the bottom), not its name")
    return channel


def _channels(t: TableReader, sections: Mapping[str, SectionReader]) -> dict[str, Any]:
    """Each channel section read by its channel; other keys are refused."""
    channels: dict[str, Any] = {}
    available = ", ".join(sections)
    for key, value in t.table.items():
        if key in INBOX_KEYS:
            continue
        if key in sections:
            section = TableReader(t.subtable(key), where=t.name(key), env=t.env,
                                  problems=t.problems)
            channels[key] = sections[key](section)
        elif isinstance(value, Mapping):
            t.problem(key, f"this release has no channel {key!r}; available: {available}")
        else:
            t.problem(key, f"unknown key; expected {', '.join(INBOX_KEYS)} or a channel "
                           f"section ({available})")
    t.require(bool(channels) or bool(t.table.keys() - set(INBOX_KEYS)),
              f"{t.where}: no channel; add a section for one of: {available}")
    return channels


def _policies(t: TableReader, sections: Mapping[str, SectionReader]) -> dict[str, Any]:
    """Per-channel overrides of the channel's rules, as ``channel_policies`` documents."""
    documents = t.subtable("policies")
    policies: dict[str, Any] = {}
    for channel, document in documents.items():
        where = f"{t.name('policies')}.{channel}"
        if channel not in sections:
            t.problems.append(f"{where}: no channel {channel!r}; available: "
                              f"{', '.join(sections)}")
        elif not isinstance(document, Mapping):
            t.problems.append(f"{where}: expected a table, not {toml_type(document)}")
        else:
            try:
                channel_policy(document)
                policies[channel] = dict(document)
            except (ValueError, TypeError, AttributeError) as exc:
                t.problems.append(f"{where}: {exc}")
    return policies


def _shared_accounts(inboxes: Sequence[Inbox]) -> list[str]:
    """Two inboxes may share neither a Slack channel (whose threads would be whose?) nor a
    bot (Telegram gives one bot's updates to one receiver)."""
    problems = []
    channel_owner: dict[str, str] = {}
    bot_owner: dict[str, str] = {}
    for inbox in inboxes:
        if inbox.slack_channel and inbox.slack_channel in channel_owner:
            problems.append(f"inboxes.{inbox.name}.slack_channel: {inbox.slack_channel} is "
                            f"already inbox {channel_owner[inbox.slack_channel]}'s channel; "
                            "each inbox needs its own")
        channel_owner.setdefault(inbox.slack_channel, inbox.name)
        token = inbox.telegram.token if inbox.telegram else ""
        if token in bot_owner:
            problems.append(f"inboxes.{inbox.name}.telegram.bot_token: the same bot as inbox "
                            f"{bot_owner[token]}; one bot serves one inbox")
        if token:
            bot_owner.setdefault(token, inbox.name)
    return problems
