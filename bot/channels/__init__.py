"""Customer channels, each a package ``bot/channels/<name>/`` (settings, parsing, sending,
receiving, capabilities), and the one registry of them: a new channel is its package plus
one line in :data:`CHANNELS`."""

from __future__ import annotations

from bot.channels.base import Capabilities, ChannelPackage
from bot.channels.platform_rules import RULES_WITHOUT_PACKAGE
from bot.channels.telegram.package import TelegramPackage

CHANNELS: dict[str, ChannelPackage] = {
    package.name: package for package in (TelegramPackage(),)
}


def capabilities_by_kind() -> dict[str, Capabilities]:
    """Every channel kind's capabilities: the registered packages', and the rules kept for
    platforms whose package is not here yet (a package's own take precedence)."""
    return {**RULES_WITHOUT_PACKAGE,
            **{name: package.capabilities for name, package in CHANNELS.items()}}
