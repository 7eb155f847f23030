from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.types import Message

from bot.channels.telegram.channel import TelegramChannel, build_bot, send_kind
from bot.errors import PermanentError, RetryableError
from bot.models import Attachment, ConversationKey, OutboundFile
from tests.fakes import tg_updates as tg
from tests.fakes.telegram_api import FakeTelegramAPI

CHAT = 1001
DATE = 1_700_000_000


def message(update_or_fields: dict[str, Any], key: str = "message") -> Message:
    """A Message from a tg_updates builder's update, or from bare content fields."""
    if key in update_or_fields:
        return Message.model_validate(update_or_fields[key])
    return Message.model_validate(tg.text_message(CHAT, "", date=DATE)["message"]
                                  | {"text": None} | update_or_fields)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI() as api:
        yield api


@pytest.fixture
async def channel(fake: FakeTelegramAPI) -> AsyncIterator[TelegramChannel]:
    bot = build_bot("42:TEST", fake.url)
    yield TelegramChannel(bot)
    await bot.session.close()


@pytest.fixture
def offline() -> TelegramChannel:
    """For pure conversions: the Bot never opens a connection."""
    return TelegramChannel(build_bot("42:TEST", "http://127.0.0.1:9"))


# -- to_inbound ----------------------------------------------------------------------------

def test_text_message_is_normalized(offline: TelegramChannel) -> None:
    update = tg.text_message(CHAT, "Hello", message_id=7, first_name="Ann", last_name="Lee",
                             username="ann", language_code="fr", date=DATE)
    inbound = offline.to_inbound(message(update))
    assert inbound is not None
    assert inbound.customer.key == ConversationKey("telegram", str(CHAT))
    assert (inbound.customer.name, inbound.customer.username) == ("Ann Lee", "ann")
    assert (inbound.customer.language, inbound.customer.phone) == ("fr", "")
    assert (inbound.message_id, inbound.event_key) == ("7", f"telegram:{CHAT}:7")
    assert inbound.sent_at == datetime.fromtimestamp(DATE, UTC)
    assert inbound.sent_at.tzinfo is not None
    assert (inbound.text, inbound.attachments, inbound.album_id) == ("Hello", (), "")
    assert inbound.raw == update["message"]


def test_missing_optional_sender_fields_become_empty(offline: TelegramChannel) -> None:
    update = tg.text_message(CHAT, "hi", first_name="Ann", last_name=None, username=None,
                             language_code=None)
    inbound = offline.to_inbound(message(update))
    assert inbound is not None
    assert (inbound.customer.name, inbound.customer.username, inbound.customer.language) == (
        "Ann", "", "")


def test_edit_gets_its_own_event_key(offline: TelegramChannel) -> None:
    update = tg.edited_text_message(CHAT, "fixed", message_id=7, date=DATE, edit_date=DATE + 5)
    inbound = offline.to_inbound(message(update, "edited_message"), edited=True)
    assert inbound is not None
    assert inbound.event_key == f"telegram:{CHAT}:7:edit:{DATE + 5}"
    assert inbound.text == "fixed"


@pytest.mark.parametrize("chat", [
    {"id": -100123, "type": "supergroup", "title": "G"},
    {"id": -123, "type": "group", "title": "G"},
    {"id": -100555, "type": "channel", "title": "C"},
])
def test_only_private_chats_are_relayed(offline: TelegramChannel, chat: dict[str, Any]) -> None:
    assert offline.to_inbound(message({"chat": chat, "text": "hi"})) is None


def test_photo_uses_largest_size_and_caption(offline: TelegramChannel) -> None:
    update = tg.photo_message(CHAT, caption="look", file_id="BIG", file_size=48_000,
                              media_group_id="album1", message_id=9)
    inbound = offline.to_inbound(message(update))
    assert inbound is not None
    assert (inbound.text, inbound.album_id) == ("look", "album1")
    assert inbound.attachments == (Attachment(
        kind="photo", ref="BIG", name="photo_9.jpg", mime="image/jpeg", size=48_000,
        details={"width": 1280, "height": 960}),)


FILE = {"file_unique_id": "U1", "file_size": 10}


@pytest.mark.parametrize(("fields", "expected"), [
    ({"document": {**FILE, "file_id": "D", "file_name": "a.pdf", "mime_type": "application/pdf"}},
     Attachment("document", "D", "a.pdf", "application/pdf", 10)),
    ({"document": {**FILE, "file_id": "D"}},
     Attachment("document", "D", "document_5", "application/octet-stream", 10)),
    ({"voice": {**FILE, "file_id": "V", "duration": 3}},
     Attachment("voice", "V", "voice_5.ogg", "audio/ogg", 10, {"duration": 3})),
    ({"video": {**FILE, "file_id": "M", "width": 2, "height": 1, "duration": 4,
                "mime_type": "video/quicktime", "file_name": "clip.mov"}},
     Attachment("video", "M", "clip.mov", "video/quicktime", 10,
                {"duration": 4, "width": 2, "height": 1})),
    ({"video_note": {**FILE, "file_id": "N", "length": 240, "duration": 2}},
     Attachment("video_note", "N", "video_note_5.mp4", "video/mp4", 10, {"duration": 2})),
    ({"audio": {**FILE, "file_id": "A", "duration": 60, "title": "Song"}},
     Attachment("audio", "A", "audio_5.mp3", "audio/mpeg", 10, {"duration": 60, "title": "Song"})),
    ({"animation": {**FILE, "file_id": "G", "width": 1, "height": 1, "duration": 1},
      "document": {**FILE, "file_id": "G"}},
     Attachment("animation", "G", "animation_5.mp4", "video/mp4", 10, {"duration": 1})),
    ({"sticker": {**FILE, "file_id": "S", "type": "regular", "width": 1, "height": 1,
                  "is_animated": False, "is_video": False, "emoji": "👍"}},
     Attachment("sticker", "S", "sticker.webp", "image/webp", 10, {"emoji": "👍"})),
    ({"sticker": {**FILE, "file_id": "S", "type": "regular", "width": 1, "height": 1,
                  "is_animated": True, "is_video": False}},
     Attachment("sticker", "S", "sticker.tgs", "application/x-tgsticker", 10, {"emoji": ""})),
    ({"location": {"latitude": 48.85, "longitude": 2.29}},
     Attachment("location", details={"latitude": 48.85, "longitude": 2.29})),
    ({"venue": {"location": {"latitude": 1.5, "longitude": 2.5}, "title": "Cafe",
                "address": "1 Main St"}, "location": {"latitude": 1.5, "longitude": 2.5}},
     Attachment("location", details={"latitude": 1.5, "longitude": 2.5, "title": "Cafe",
                                     "address": "1 Main St"})),
    ({"contact": {"phone_number": "+100", "first_name": "Bo", "user_id": 77}},
     Attachment("contact", details={"phone_number": "+100", "first_name": "Bo",
                                    "last_name": "", "user_id": 77})),
    ({"dice": {"emoji": "🎲", "value": 3}}, Attachment("unsupported", details={"type": "dice"})),
    ({"game": {"title": "G", "description": "d", "photo": []}},
     Attachment("unsupported", details={"type": "game"})),
])
def test_content_types(offline: TelegramChannel, fields: dict[str, Any],
                       expected: Attachment) -> None:
    inbound = offline.to_inbound(message({"message_id": 5, **fields}))
    assert inbound is not None
    assert inbound.text == ""
    assert inbound.attachments == (expected,)


def test_builders_for_every_kind_give_one_attachment(offline: TelegramChannel) -> None:
    updates = [tg.document_message(CHAT), tg.voice_message(CHAT), tg.video_message(CHAT),
               tg.video_note_message(CHAT), tg.sticker_message(CHAT), tg.location_message(CHAT),
               tg.contact_message(CHAT, user_id=5)]
    kinds = [offline.to_inbound(message(u)).attachments[0].kind  # type: ignore[union-attr]
             for u in updates]
    assert kinds == ["document", "voice", "video", "video_note", "sticker", "location",
                     "contact"]


def test_own_contact_fills_the_customer_phone(offline: TelegramChannel) -> None:
    own = offline.to_inbound(message(tg.contact_message(CHAT, phone_number="+33600")))
    other = offline.to_inbound(message(tg.contact_message(CHAT, phone_number="+1", user_id=9)))
    assert own is not None and other is not None
    assert (own.customer.phone, other.customer.phone) == ("+33600", "")


def test_service_messages_are_not_relayed(offline: TelegramChannel) -> None:
    service = {"message_auto_delete_timer_changed": {"message_auto_delete_time": 86400}}
    assert offline.to_inbound(message(service)) is None


@pytest.mark.parametrize(("mime", "size", "kind"), [
    ("image/jpeg", 1000, "photo"), ("image/png", 1000, "photo"), ("image/webp", 10, "photo"),
    ("image/jpeg", 11 * 1024 * 1024, "document"), ("image/gif", 10, "animation"),
    ("video/mp4", 10, "video"), ("video/quicktime", 10, "document"),
    ("audio/ogg; codecs=opus", 10, "voice"), ("audio/mpeg", 10, "audio"),
    ("audio/x-m4a", 10, "audio"), ("audio/wav", 10, "document"),
    ("application/pdf", 10, "document"), ("IMAGE/JPEG", 10, "photo"), ("", 10, "document"),
])
def test_send_kind(mime: str, size: int, kind: str) -> None:
    assert send_kind(mime, size) == kind


# -- sending through the fake Bot API ------------------------------------------------------

async def test_send_text(channel: TelegramChannel, fake: FakeTelegramAPI) -> None:
    message_id = await channel.send_text(str(CHAT), "<b>Hi</b> &amp; https://x.io")
    [call] = fake.calls_to("sendMessage")
    assert call["parse_mode"] == "HTML"
    assert call["link_preview_options"] == {"is_disabled": True}
    assert fake.texts(CHAT) == ["Hi & https://x.io"]
    assert message_id == str(fake.sent[CHAT][0]["message_id"])


async def test_long_text_is_split_and_first_id_returned(channel: TelegramChannel,
                                                        fake: FakeTelegramAPI) -> None:
    html = "\n".join(f"<b>line {n}</b> " + "word " * 40 for n in range(60))
    message_id = await channel.send_text(str(CHAT), html)
    texts = fake.texts(CHAT)
    assert len(texts) > 1 and all(len(text) <= 4096 for text in texts)
    assert message_id == str(fake.sent[CHAT][0]["message_id"])
    assert "line 59" in texts[-1]


@pytest.mark.parametrize(("mime", "method"), [
    ("image/png", "sendPhoto"), ("video/mp4", "sendVideo"), ("audio/ogg", "sendVoice"),
    ("audio/mpeg", "sendAudio"), ("image/gif", "sendAnimation"),
    ("application/pdf", "sendDocument"),
])
async def test_send_file_picks_method(channel: TelegramChannel, fake: FakeTelegramAPI,
                                      mime: str, method: str) -> None:
    file = OutboundFile(name="f.bin", mime=mime, data=b"12345")
    message_id = await channel.send_file(str(CHAT), file, "<i>here</i>")
    [call] = fake.calls_to(method)
    assert (call["caption"], call["parse_mode"]) == ("<i>here</i>", "HTML")
    assert fake.uploads[0]["filename"] == "f.bin" and fake.uploads[0]["content"] == b"12345"
    assert fake.texts(CHAT) == ["here"]
    assert message_id == str(fake.sent[CHAT][0]["message_id"])


async def test_long_caption_goes_in_a_second_message(channel: TelegramChannel,
                                                     fake: FakeTelegramAPI) -> None:
    caption = "x" * 1025
    file = OutboundFile(name="a.pdf", mime="application/pdf", data=b"%PDF")
    message_id = await channel.send_file(str(CHAT), file, caption)
    assert "caption" not in fake.calls_to("sendDocument")[0]
    assert [m["kind"] for m in fake.chat(CHAT)] == ["document", "text"]
    assert fake.texts(CHAT)[1] == caption
    assert message_id == str(fake.sent[CHAT][0]["message_id"])


async def test_file_over_upload_limit_is_refused_locally(channel: TelegramChannel,
                                                         fake: FakeTelegramAPI) -> None:
    file = OutboundFile(name="big.bin", mime="application/zip", data=b"0" * (50 * 2**20 + 1))
    with pytest.raises(PermanentError) as caught:
        await channel.send_file(str(CHAT), file, "")
    assert caught.value.code == "too_big"
    assert fake.attempts["sendDocument"] == 0


async def test_photo_telegram_rejects_is_resent_as_document(channel: TelegramChannel,
                                                            fake: FakeTelegramAPI) -> None:
    fake.fail_next("sendPhoto", status=400, error="Bad Request: PHOTO_INVALID_DIMENSIONS")
    file = OutboundFile(name="wide.png", mime="image/png", data=b"png")
    await channel.send_file(str(CHAT), file, "")
    assert [m["kind"] for m in fake.chat(CHAT)] == ["document"]


# -- edit and delete -----------------------------------------------------------------------

async def test_edit_text(channel: TelegramChannel, fake: FakeTelegramAPI) -> None:
    message_id = await channel.send_text(str(CHAT), "old")
    await channel.edit_text(str(CHAT), message_id, "<b>new</b>")
    assert fake.texts(CHAT) == ["new"]
    assert fake.calls_to("editMessageText")[0]["parse_mode"] == "HTML"


async def test_edit_of_a_captioned_file_edits_the_caption(channel: TelegramChannel,
                                                          fake: FakeTelegramAPI) -> None:
    file = OutboundFile(name="a.jpg", mime="image/jpeg", data=b"jpg")
    message_id = await channel.send_file(str(CHAT), file, "old")
    await channel.edit_text(str(CHAT), message_id, "new")
    assert fake.texts(CHAT) == ["new"]
    assert len(fake.calls_to("editMessageCaption")) == 1


async def test_unchanged_edit_counts_as_success(channel: TelegramChannel,
                                                fake: FakeTelegramAPI) -> None:
    message_id = await channel.send_text(str(CHAT), "same")
    await channel.edit_text(str(CHAT), message_id, "same")
    [(method, kind)] = fake.faults
    assert method == "editMessageText" and "message is not modified" in kind


async def test_delete(channel: TelegramChannel, fake: FakeTelegramAPI) -> None:
    message_id = await channel.send_text(str(CHAT), "oops")
    await channel.delete(str(CHAT), message_id)
    assert fake.chat(CHAT) == []
    with pytest.raises(PermanentError) as caught:
        await channel.delete(str(CHAT), message_id)
    assert caught.value.code == "not_found"


# -- download ------------------------------------------------------------------------------

async def test_download(channel: TelegramChannel, fake: FakeTelegramAPI) -> None:
    fake.add_file("F1", b"\xff\xd8jpeg", "photos/file_1.jpg")
    data = await channel.download(Attachment(kind="photo", ref="F1", size=6))
    assert data == b"\xff\xd8jpeg"
    assert fake.calls_to("file") == [{"file_path": "photos/file_1.jpg"}]


async def test_declared_size_over_limit_is_refused_without_a_call(
        channel: TelegramChannel, fake: FakeTelegramAPI) -> None:
    with pytest.raises(PermanentError, match="20 MB") as caught:
        await channel.download(Attachment(kind="video", ref="F", size=21 * 2**20))
    assert caught.value.code == "too_big"
    assert fake.attempts["getFile"] == 0


async def test_file_too_big_from_telegram(channel: TelegramChannel,
                                          fake: FakeTelegramAPI) -> None:
    fake.add_file("F2", b"x", "videos/file_2.mp4", declared_size=25 * 2**20)
    with pytest.raises(PermanentError, match="20 MB") as caught:
        await channel.download(Attachment(kind="video", ref="F2"))
    assert caught.value.code == "too_big"


async def test_download_of_a_location_is_refused(channel: TelegramChannel) -> None:
    with pytest.raises(PermanentError):
        await channel.download(Attachment(kind="location"))


async def test_file_server_failure_is_retryable(channel: TelegramChannel,
                                                fake: FakeTelegramAPI) -> None:
    fake.add_file("F3", b"x", "documents/file_3.bin")
    fake.fail_next("file", status=502)
    with pytest.raises(RetryableError) as caught:
        await channel.download(Attachment(kind="document", ref="F3"))
    assert caught.value.code == "http_5xx"
    assert "42:TEST" not in caught.value.reason


# -- errors from the fake, end to end ------------------------------------------------------

async def test_rate_limit(channel: TelegramChannel, fake: FakeTelegramAPI) -> None:
    fake.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryableError) as caught:
        await channel.send_text(str(CHAT), "hi")
    assert (caught.value.code, caught.value.retry_after) == ("ratelimited", 7)


async def test_blocked(channel: TelegramChannel, fake: FakeTelegramAPI) -> None:
    fake.blocked.add(CHAT)
    with pytest.raises(PermanentError) as caught:
        await channel.send_file(str(CHAT), OutboundFile("a.pdf", "application/pdf", b"1"), "")
    assert (caught.value.reason, caught.value.code) == ("the customer blocked the bot", "blocked")


async def test_server_error_and_dropped_connection_are_retryable(
        channel: TelegramChannel, fake: FakeTelegramAPI) -> None:
    fake.fail_next("sendMessage", status=500)
    with pytest.raises(RetryableError) as server:
        await channel.send_text(str(CHAT), "hi")
    fake.drop_next("sendMessage")
    with pytest.raises(RetryableError) as dropped:
        await channel.send_text(str(CHAT), "hi")
    assert (server.value.code, dropped.value.code) == ("http_5xx", "network")


async def test_wrong_token(fake: FakeTelegramAPI) -> None:
    bot = build_bot("42:WRONG", fake.url)
    try:
        with pytest.raises(PermanentError) as caught:
            await TelegramChannel(bot).send_text(str(CHAT), "hi")
    finally:
        await bot.session.close()
    assert caught.value.code == "unauthorized"
    assert "WRONG" not in caught.value.reason


async def test_bad_html_is_a_permanent_bad_request(channel: TelegramChannel) -> None:
    with pytest.raises(PermanentError) as caught:
        await channel.send_text(str(CHAT), "<b>unclosed")
    assert caught.value.code == "bad_request"
    assert "can't parse entities" in caught.value.reason
