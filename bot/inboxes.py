"""Inboxes: one brand's way in (its channel accounts) and the Slack channel its threads go to.

Without an inbox file the environment describes one inbox, ``default``; with
``INBOXES_FILE`` the file alone defines them (see the README, "Inboxes and brands").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.channels.telegram.settings import TelegramSettings
from bot.env_reader import Secret
from bot.models import DEFAULT_INBOX


@dataclass(frozen=True)
class Inbox:
    """:param slack_bot_token: a bot token of another workspace the Slack app is installed
        in; empty: the app's own ``SLACK_BOT_TOKEN``
    :param policies: channel rules per channel kind (``{"telegram": {"window": "24h"}}``),
        merged over the channel's own capabilities
    """

    name: str
    slack_channel: str
    brand: str = ""
    slack_bot_token: Secret = Secret("")
    telegram: TelegramSettings | None = None
    policies: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The brand shown on cards and in ``/leads``."""
        return self.brand or self.name


def default_inbox(*, slack_channel: str, telegram: TelegramSettings) -> Inbox:
    """The one inbox the environment describes when there is no inbox file."""
    return Inbox(name=DEFAULT_INBOX, slack_channel=slack_channel,
                 telegram=telegram if telegram.enabled else None)
