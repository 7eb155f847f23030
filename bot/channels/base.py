"""The contract every customer channel implements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from bot.models import Attachment, OutboundFile


@dataclass(frozen=True, slots=True)
class SharedText:
    """A Slack message an operator shared into their reply."""

    name: str  # who wrote it; "" when unknown
    text: str  # Slack mrkdwn


@dataclass(frozen=True, slots=True)
class OperatorReply:
    """An operator's reply as Slack holds it; each channel renders it into its own format."""

    text: str  # Slack mrkdwn
    rich_text: Sequence[Mapping[str, Any]] = ()  # Slack ``rich_text`` blocks, when present
    shared: Sequence[SharedText] = ()
    operator: str = ""  # the first name shown before the reply; "" shows none
    user_names: Mapping[str, str] = field(default_factory=dict)  # Slack user id → name


class Channel(Protocol):
    """Send side of a customer channel. Every method raises
    :class:`bot.errors.RetryableError` or :class:`bot.errors.PermanentError` on failure."""

    name: ClassVar[str]
    #: the largest file the bot can fetch from this channel (bytes)
    max_download: ClassVar[int]

    def render(self, purpose: str, language: str, context: Mapping[str, Any]) -> str:
        """A customer text (``templates/customer/<purpose>.<language>.j2``) in this
        channel's format."""

    def render_reply(self, reply: OperatorReply, language: str) -> str:
        """An operator's reply in this channel's format; "" when it has nothing to show."""

    async def send_text(self, chat_id: str, text: str) -> str:
        """:param text: in this channel's format, as its ``render*`` methods make it
        :return: the channel's message id"""

    async def send_file(self, chat_id: str, file: OutboundFile, caption: str) -> str:
        """Send with the method that fits the file's kind. :return: the message id"""

    async def edit_text(self, chat_id: str, message_id: str, text: str) -> None: ...

    async def delete(self, chat_id: str, message_id: str) -> None: ...

    async def download(self, attachment: Attachment) -> bytes:
        """Fetch a customer's file; too large → PermanentError naming the limit."""
