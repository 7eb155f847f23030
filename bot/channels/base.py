"""The contract every customer channel implements."""

from __future__ import annotations

from typing import ClassVar, Protocol

from bot.models import Attachment, OutboundFile


class Channel(Protocol):
    """Send side of a customer channel. Every method raises
    :class:`bot.errors.RetryableError` or :class:`bot.errors.PermanentError` on failure."""

    name: ClassVar[str]
    #: the largest file the bot can fetch from this channel (bytes)
    max_download: ClassVar[int]

    async def send_text(self, chat_id: str, html: str) -> str:
        """:param html: the channel's HTML subset. :return: the channel's message id"""

    async def send_file(self, chat_id: str, file: OutboundFile, caption_html: str) -> str:
        """Send with the method that fits the file's kind. :return: the message id"""

    async def edit_text(self, chat_id: str, message_id: str, html: str) -> None: ...

    async def delete(self, chat_id: str, message_id: str) -> None: ...

    async def download(self, attachment: Attachment) -> bytes:
        """Fetch a customer's file; too large → PermanentError naming the limit."""
