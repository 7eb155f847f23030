"""What the Slack listeners call. The Bridge implements it; listeners depend on this only."""

from __future__ import annotations

from typing import Protocol

from bot.models import OperatorMessage


class OperatorEvents(Protocol):
    async def on_operator_message(self, message: OperatorMessage) -> None:
        """A human wrote in a thread (reply, note or ``!command``)."""

    async def on_operator_edit(self, slack_channel: str, ts: str, text: str) -> None:
        """A human edited a thread message."""

    async def on_operator_delete(self, slack_channel: str, ts: str) -> None:
        """A human deleted a thread message."""
