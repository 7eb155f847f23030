"""Telegram: aiogram ``Message`` → :class:`InboundMessage`, and operators' replies back out."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    DeleteMessage,
    DeleteWebhook,
    EditMessageCaption,
    EditMessageText,
    GetFile,
    GetUpdates,
    SendAnimation,
    SendAudio,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendVideo,
    SendVoice,
    SetWebhook,
)
from aiogram.methods.base import Response
from aiogram.types import BufferedInputFile, LinkPreviewOptions, Message

from bot.channels.base import OperatorReply
from bot.channels.telegram.errors import TOO_BIG_DOWNLOAD, TRANSPORT_ERRORS, delivery_error
from bot.channels.telegram.limits import split_html, visible_length
from bot.channels.telegram.media import message_attachments
from bot.channels.telegram.rendering import TelegramRendering
from bot.errors import PermanentError
from bot.models import DEFAULT_INBOX, Attachment, ConversationKey, Customer, InboundMessage
from bot.models import OutboundFile

T = TypeVar("T")

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
PHOTO_LIMIT = 10 * 1024 * 1024
UPLOAD_LIMIT = 50 * 1024 * 1024
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# Descriptions after which a file is worth sending again as a plain document.
_AS_DOCUMENT_AFTER = ("photo_invalid_dimensions", "image_process_failed",
                      "voice_messages_forbidden")


# aiogram parses every Bot API answer with ``Response[<the method's result type>]``, and
# pydantic keeps parametrised models only weakly: with nothing else holding them, each call
# built a new model class (~1 ms of CPU on every send). Holding the ones the bot uses keeps
# them cached.
_RESPONSE_MODELS = tuple(
    Response[method.__returning__]  # type: ignore[name-defined]
    for method in (SendMessage, SendPhoto, SendDocument, SendVoice, SendVideo, SendAudio,
                   SendAnimation, EditMessageText, EditMessageCaption, DeleteMessage, GetFile,
                   GetUpdates, SetWebhook, DeleteWebhook))


def build_bot(token: str, api_base: str) -> Bot:
    """A Bot talking to ``api_base`` (the official server, a local one, or a test fake)."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=None))


class TelegramChannel:
    name: ClassVar[str] = "telegram"
    max_download: ClassVar[int] = 20 * 1024 * 1024

    def __init__(self, bot: Bot, *, inbox: str = DEFAULT_INBOX,
                 rendering: TelegramRendering | None = None) -> None:
        self.bot, self.inbox = bot, inbox
        self.rendering = rendering or TelegramRendering()

    # -- inbound ---------------------------------------------------------------------------

    def to_inbound(self, message: Message, *, edited: bool = False) -> InboundMessage | None:
        """Normalize a private-chat message; anything else (groups, channels) is ``None``."""
        if message.chat.type != "private":
            return None
        attachments = message_attachments(message)
        if attachments is None:
            return None
        chat_id, message_id = message.chat.id, message.message_id
        # Telegram numbers messages per bot: another inbox's bot may send the same ids.
        event_key = f"{ConversationKey(self.name, str(chat_id), self.inbox)}:{message_id}"
        if edited:
            # aiogram types ``edit_date`` as unix seconds (``date`` is a datetime)
            event_key += f":edit:{message.edit_date or 0}"
        return InboundMessage(
            customer=_customer(message, self.inbox), message_id=str(message_id),
            event_key=event_key, sent_at=_utc(message.date),
            text=message.text or message.caption or "", attachments=attachments,
            album_id=message.media_group_id or "",
            raw=message.model_dump(mode="json", exclude_none=True, by_alias=True))

    # -- outbound --------------------------------------------------------------------------

    def render(self, purpose: str, language: str, context: Mapping[str, Any]) -> str:
        return self.rendering.render(purpose, language, context)

    def render_reply(self, reply: OperatorReply, language: str) -> str:
        return self.rendering.render_reply(reply, language)

    async def send_text(self, chat_id: str, html: str) -> str:
        ids = [await self._send_message(chat_id, chunk) for chunk in split_html(html, TEXT_LIMIT)]
        return ids[0]

    async def send_file(self, chat_id: str, file: OutboundFile, caption_html: str) -> str:
        if len(file.data) > UPLOAD_LIMIT:
            raise PermanentError("the file is over Telegram's 50 MB upload limit", code="too_big")
        fits = visible_length(caption_html) <= CAPTION_LIMIT
        first = await self._send_file(chat_id, file, caption_html if fits else "")
        if not fits:
            await self.send_text(chat_id, caption_html)
        return first

    async def edit_text(self, chat_id: str, message_id: str, html: str) -> None:
        await self._guard(self._edit(chat_id, int(message_id), html))

    async def delete(self, chat_id: str, message_id: str) -> None:
        await self._guard(self.bot.delete_message(chat_id=chat_id, message_id=int(message_id)))

    async def download(self, attachment: Attachment) -> bytes:
        if attachment.size > self.max_download:
            raise PermanentError(TOO_BIG_DOWNLOAD, code="too_big")
        if not attachment.ref:
            raise PermanentError(f"a {attachment.kind} has no file to download", code="no_file")
        file = await self._guard(self.bot.get_file(attachment.ref))
        if (file.file_size or 0) > self.max_download or not file.file_path:
            raise PermanentError(TOO_BIG_DOWNLOAD, code="too_big")
        buffer = io.BytesIO()
        await self._guard(self.bot.download_file(file.file_path, destination=buffer))
        return buffer.getvalue()

    # -- helpers ---------------------------------------------------------------------------

    async def _guard(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except TRANSPORT_ERRORS as exc:
            raise delivery_error(exc) from exc

    async def _send_message(self, chat_id: str, html: str) -> str:
        sent = await self._guard(self.bot.send_message(
            chat_id=chat_id, text=html, parse_mode="HTML", link_preview_options=_NO_PREVIEW))
        return str(sent.message_id)

    async def _send_file(self, chat_id: str, file: OutboundFile, caption: str) -> str:
        kind = send_kind(file.mime, len(file.data))
        try:
            sent = await self._send_as(kind, chat_id, file, caption)
        except TelegramBadRequest as exc:
            if kind == "document" or not exc.message.lower().endswith(_AS_DOCUMENT_AFTER):
                raise delivery_error(exc) from exc
            sent = await self._guard(self._send_as("document", chat_id, file, caption))
        except TRANSPORT_ERRORS as exc:
            raise delivery_error(exc) from exc
        return str(sent.message_id)

    async def _send_as(self, kind: str, chat_id: str, file: OutboundFile,
                       caption: str) -> Message:
        """``send_<kind>(chat_id, <the file>, caption=…)``; aiogram errors pass through."""
        method = getattr(self.bot, f"send_{kind}")
        upload = BufferedInputFile(file.data, filename=file.name)
        sent: Message = await method(chat_id, upload, caption=caption or None,
                                     parse_mode="HTML")
        return sent

    async def _edit(self, chat_id: str, message_id: int, html: str) -> None:
        try:
            await _unless_unchanged(self.bot.edit_message_text(
                chat_id=chat_id, message_id=message_id, text=html, parse_mode="HTML",
                link_preview_options=_NO_PREVIEW))
        except TelegramBadRequest as exc:
            if "there is no text in the message to edit" not in exc.message.lower():
                raise
            # The message is a file: its caption is the text the customer sees.
            await _unless_unchanged(self.bot.edit_message_caption(
                chat_id=chat_id, message_id=message_id, caption=html, parse_mode="HTML"))


async def _unless_unchanged(call: Awaitable[object]) -> None:
    """Telegram refuses an edit to identical content; the wanted state is there, so fine."""
    try:
        await call
    except TelegramBadRequest as exc:
        if "message is not modified" not in exc.message.lower():
            raise


def send_kind(mime: str, size: int) -> str:
    """Which ``send_<kind>`` method fits a file, by MIME type (parameters ignored)."""
    base = mime.split(";")[0].strip().lower()
    if base in ("image/jpeg", "image/jpg", "image/png", "image/webp") and size <= PHOTO_LIMIT:
        return "photo"
    return _KIND_BY_MIME.get(base, "document")


_KIND_BY_MIME = {
    "video/mp4": "video", "image/gif": "animation",
    "audio/ogg": "voice", "audio/opus": "voice",
    "audio/mpeg": "audio", "audio/mp3": "audio", "audio/mp4": "audio", "audio/x-m4a": "audio",
    "audio/m4a": "audio", "audio/aac": "audio",
}


def _customer(message: Message, inbox: str) -> Customer:
    user = message.from_user
    person = user or message.chat
    name = f"{person.first_name or ''} {person.last_name or ''}".strip()
    language = (user.language_code if user else None) or ""
    return Customer(key=ConversationKey("telegram", str(message.chat.id), inbox), name=name,
                    username=person.username or "", language=language,
                    phone=_own_phone(message))


def _own_phone(message: Message) -> str:
    """The customer's number, only when they shared their own contact (not someone else's)."""
    contact, user = message.contact, message.from_user
    if contact is None or user is None or contact.user_id != user.id:
        return ""
    return contact.phone_number


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
