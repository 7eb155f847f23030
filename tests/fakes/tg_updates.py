"""Builders of Bot API ``Update`` dicts as Telegram sends them for a private chat.

In a private chat ``chat.id == from.id`` and ``chat.type == "private"``. Every builder takes
the sender fields as keywords (``message_id``, ``first_name``, ``last_name``, ``username``,
``language_code``, ``update_id``, ``date``); ids default to fresh process-wide numbers so
two updates never collide by accident.
"""

from __future__ import annotations

import itertools
import time
from typing import Any, TypedDict

from typing_extensions import Unpack

Update = dict[str, Any]
_update_ids = itertools.count(700_000_001)
_message_ids = itertools.count(5_001)
_file_ids = itertools.count(1)
_groups = itertools.count(13_000_000_000_000_001)


class Sender(TypedDict, total=False):
    message_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None
    update_id: int | None
    date: int


def _user(chat_id: int, who: Sender) -> tuple[dict[str, Any], dict[str, Any]]:
    names = {"first_name": who.get("first_name", "Ann"), "last_name": who.get("last_name"),
             "username": who.get("username")}
    names = {k: v for k, v in names.items() if v is not None}
    user = {"id": chat_id, "is_bot": False, **names}
    if who.get("language_code", "en") is not None:
        user["language_code"] = who.get("language_code", "en")
    return user, {"id": chat_id, "type": "private", **names}


def _message(chat_id: int, who: Sender, **content: Any) -> dict[str, Any]:
    user, chat = _user(chat_id, who)
    message_id = who.get("message_id")
    return {"message_id": message_id if message_id is not None else next(_message_ids),
            "from": user, "chat": chat, "date": who.get("date", int(time.time())), **content}


def _update(message: dict[str, Any], who: Sender, key: str = "message") -> Update:
    update_id = who.get("update_id")
    return {"update_id": update_id if update_id is not None else next(_update_ids),
            key: message}


def _file(prefix: str, file_size: int, file_id: str | None) -> dict[str, Any]:
    n = next(_file_ids)
    return {"file_id": file_id or f"{prefix}{n:08d}", "file_unique_id": f"AQAD{n:08d}",
            "file_size": file_size}


def _captioned(caption: str | None) -> dict[str, Any]:
    return {"caption": caption} if caption is not None else {}


def text_message(chat_id: int, text: str, **who: Unpack[Sender]) -> Update:
    return _update(_message(chat_id, who, text=text), who)


def start_command(chat_id: int, payload: str | None = None, **who: Unpack[Sender]) -> Update:
    text = f"/start {payload}" if payload else "/start"
    entities = [{"type": "bot_command", "offset": 0, "length": 6}]
    return _update(_message(chat_id, who, text=text, entities=entities), who)


def edited_text_message(chat_id: int, text: str, *, edit_date: int | None = None,
                        **who: Unpack[Sender]) -> Update:
    message = _message(chat_id, who, text=text)
    message["edit_date"] = edit_date or message["date"] + 60
    return _update(message, who, key="edited_message")


def photo_message(chat_id: int, *, caption: str | None = None, file_id: str | None = None,
                  file_size: int = 48_000, media_group_id: str | None = None,
                  **who: Unpack[Sender]) -> Update:
    big = {**_file("AgACAgIAAxkBAAI", file_size, file_id), "width": 1280, "height": 960}
    small = {**big, "file_id": f"{big['file_id']}_s",
             "file_unique_id": f"{big['file_unique_id']}s",
             "width": 90, "height": 68, "file_size": min(file_size, 1_200)}
    extra = {"media_group_id": media_group_id} if media_group_id else {}
    return _update(_message(chat_id, who, photo=[small, big], **_captioned(caption), **extra),
                   who)


def document_message(chat_id: int, *, file_name: str = "invoice.pdf",
                     mime_type: str = "application/pdf", file_size: int = 120_000,
                     caption: str | None = None, file_id: str | None = None,
                     **who: Unpack[Sender]) -> Update:
    document = {**_file("BQACAgIAAxkBAAI", file_size, file_id), "file_name": file_name,
                "mime_type": mime_type}
    return _update(_message(chat_id, who, document=document, **_captioned(caption)), who)


def voice_message(chat_id: int, *, duration: int = 3, file_size: int = 9_000,
                  file_id: str | None = None, **who: Unpack[Sender]) -> Update:
    voice = {**_file("AwACAgIAAxkBAAI", file_size, file_id), "duration": duration,
             "mime_type": "audio/ogg"}
    return _update(_message(chat_id, who, voice=voice), who)


def video_message(chat_id: int, *, duration: int = 5, file_size: int = 800_000,
                  caption: str | None = None, file_id: str | None = None,
                  media_group_id: str | None = None, **who: Unpack[Sender]) -> Update:
    video = {**_file("BAACAgIAAxkBAAI", file_size, file_id), "width": 640, "height": 360,
             "duration": duration, "mime_type": "video/mp4"}
    extra = {"media_group_id": media_group_id} if media_group_id else {}
    return _update(_message(chat_id, who, video=video, **_captioned(caption), **extra), who)


def video_note_message(chat_id: int, *, duration: int = 4, file_size: int = 300_000,
                       file_id: str | None = None, **who: Unpack[Sender]) -> Update:
    note = {**_file("DQACAgIAAxkBAAI", file_size, file_id), "length": 240,
            "duration": duration}
    return _update(_message(chat_id, who, video_note=note), who)


def sticker_message(chat_id: int, *, emoji: str = "👍", set_name: str = "HotCherry",
                    file_id: str | None = None, **who: Unpack[Sender]) -> Update:
    sticker = {**_file("CAACAgIAAxkBAAI", 24_000, file_id), "type": "regular",
               "width": 512, "height": 512, "is_animated": False, "is_video": False,
               "emoji": emoji, "set_name": set_name}
    return _update(_message(chat_id, who, sticker=sticker), who)


def location_message(chat_id: int, *, latitude: float = 48.8584, longitude: float = 2.2945,
                     **who: Unpack[Sender]) -> Update:
    location = {"latitude": latitude, "longitude": longitude}
    return _update(_message(chat_id, who, location=location), who)


def contact_message(chat_id: int, *, phone_number: str = "+33612345678",
                    first_name: str = "Ann", last_name: str | None = None,
                    user_id: int | None = None, **who: Unpack[Sender]) -> Update:
    contact: dict[str, Any] = {"phone_number": phone_number, "first_name": first_name}
    if last_name is not None:
        contact["last_name"] = last_name
    contact["user_id"] = user_id if user_id is not None else chat_id
    return _update(_message(chat_id, who, contact=contact), who)


def album(chat_id: int, kinds: tuple[str, ...] = ("photo", "photo"), *,
          caption: str | None = None, media_group_id: str | None = None,
          first_message_id: int | None = None, **who: Unpack[Sender]) -> list[Update]:
    """Several updates sharing one ``media_group_id``; only the first carries the caption,
    as when a customer sends an album from the Telegram apps."""
    group = media_group_id or str(next(_groups))
    start = first_message_id if first_message_id is not None else next(_message_ids)
    if first_message_id is None:
        for _ in kinds[1:]:
            next(_message_ids)  # reserve the ids the album uses
    updates: list[Update] = []
    for index, kind in enumerate(kinds):
        item: Sender = {**who, "message_id": start + index, "update_id": None}
        text = caption if index == 0 else None
        build = photo_message if kind == "photo" else video_message
        updates.append(build(chat_id, caption=text, media_group_id=group, **item))
    return updates
