"""What a Telegram message carries besides text, as :class:`bot.models.Attachment` values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram.types import Message

from bot.models import Attachment

# Chat housekeeping rather than something the customer said: not relayed at all.
SERVICE_TYPES = frozenset({
    "pinned_message", "message_auto_delete_timer_changed", "write_access_allowed",
    "chat_background_set", "new_chat_members", "left_chat_member", "new_chat_title",
    "new_chat_photo", "delete_chat_photo", "group_chat_created", "supergroup_chat_created",
    "channel_chat_created", "migrate_to_chat_id", "migrate_from_chat_id",
    "forum_topic_created", "forum_topic_edited", "forum_topic_closed", "forum_topic_reopened",
})


def message_attachments(message: Message) -> tuple[Attachment, ...] | None:
    """The message's attachments; ``None`` for a service message that is not relayed.

    Content the bot cannot relay (polls, dice, games...) becomes one ``unsupported``
    attachment, so operators see a note instead of an empty message.
    """
    for extract in _EXTRACTORS:
        if (found := extract(message)) is not None:
            return (found,)
    if message.text or message.caption:
        return ()
    content_type = _content_type(message)
    if content_type in SERVICE_TYPES:
        return None
    return (Attachment(kind="unsupported", details={"type": content_type}),)


def _content_type(message: Message) -> str:
    """aiogram's name for what the message carries; for a kind newer than aiogram, the
    field Telegram put it in (the update says what it is even when aiogram cannot)."""
    content_type = str(getattr(message.content_type, "value", message.content_type))
    if content_type == "unknown" and message.model_extra:
        return next(iter(message.model_extra))
    return content_type


def _photo(message: Message) -> Attachment | None:
    if not message.photo:
        return None
    largest = message.photo[-1]  # Telegram lists sizes from smallest to largest
    return Attachment(kind="photo", ref=largest.file_id, name=f"photo_{message.message_id}.jpg",
                      mime="image/jpeg", size=largest.file_size or 0,
                      details={"width": largest.width, "height": largest.height})


def _animation(message: Message) -> Attachment | None:
    # Checked before documents: Telegram fills ``document`` for animations too.
    if (item := message.animation) is None:
        return None
    return _file("animation", item, f"animation_{message.message_id}.mp4", "video/mp4",
                 duration=item.duration)


def _document(message: Message) -> Attachment | None:
    if (item := message.document) is None:
        return None
    return _file("document", item, f"document_{message.message_id}", "application/octet-stream")


def _voice(message: Message) -> Attachment | None:
    if (item := message.voice) is None:
        return None
    return _file("voice", item, f"voice_{message.message_id}.ogg", "audio/ogg",
                 duration=item.duration)


def _video(message: Message) -> Attachment | None:
    if (item := message.video) is None:
        return None
    return _file("video", item, f"video_{message.message_id}.mp4", "video/mp4",
                 duration=item.duration, width=item.width, height=item.height)


def _video_note(message: Message) -> Attachment | None:
    if (item := message.video_note) is None:
        return None
    return _file("video_note", item, f"video_note_{message.message_id}.mp4", "video/mp4",
                 duration=item.duration)


def _audio(message: Message) -> Attachment | None:
    if (item := message.audio) is None:
        return None
    return _file("audio", item, f"audio_{message.message_id}.mp3", "audio/mpeg",
                 duration=item.duration, title=item.title, performer=item.performer)


def _live_photo(message: Message) -> Attachment | None:
    if (item := message.live_photo) is None:
        return None
    return _file("video", item, f"live_photo_{message.message_id}.mp4", "video/mp4",
                 live_photo=True)


def _sticker(message: Message) -> Attachment | None:
    if (item := message.sticker) is None:
        return None
    name, mime = (("sticker.tgs", "application/x-tgsticker") if item.is_animated
                  else ("sticker.webm", "video/webm") if item.is_video
                  else ("sticker.webp", "image/webp"))
    return Attachment(kind="sticker", ref=item.file_id, name=name, mime=mime,
                      size=item.file_size or 0, details={"emoji": item.emoji or ""})


def _venue(message: Message) -> Attachment | None:
    # Checked before locations: a venue message carries its ``location`` as well.
    if (venue := message.venue) is None:
        return None
    return Attachment(kind="location", details={
        "latitude": venue.location.latitude, "longitude": venue.location.longitude,
        "title": venue.title, "address": venue.address})


def _location(message: Message) -> Attachment | None:
    if (place := message.location) is None:
        return None
    return Attachment(kind="location",
                      details={"latitude": place.latitude, "longitude": place.longitude})


def _contact(message: Message) -> Attachment | None:
    if (contact := message.contact) is None:
        return None
    return Attachment(kind="contact", details={
        "phone_number": contact.phone_number, "first_name": contact.first_name,
        "last_name": contact.last_name or "", "user_id": contact.user_id})


def _file(kind: str, item: Any, fallback_name: str, fallback_mime: str,
          **details: Any) -> Attachment:
    """``item`` is any aiogram file object: ``file_id``, ``file_size``, maybe a name/MIME."""
    return Attachment(
        kind=kind, ref=item.file_id, name=getattr(item, "file_name", None) or fallback_name,
        mime=getattr(item, "mime_type", None) or fallback_mime, size=item.file_size or 0,
        details={key: value for key, value in details.items() if value is not None})


_EXTRACTORS: tuple[Callable[[Message], Attachment | None], ...] = (
    _photo, _animation, _document, _voice, _video, _video_note, _audio, _live_photo,
    _sticker, _venue, _location, _contact)
