"""Files both ways, albums, edits both ways and operator deletes."""

from __future__ import annotations

from tests.fakes import tg_updates as tg
from tests.scenarios.harness import CHANNEL, Desk

JPEG = b"\xff\xd8\xff\xe0" + b"jpegdata" * 100


async def _thread(desk: Desk, chat_id: int) -> str:
    await desk.customer_sends(tg.text_message(chat_id, "hello"))
    await desk.settle()
    return await desk.thread_of(chat_id)


async def test_customer_photo_is_uploaded_into_the_thread(desk: Desk) -> None:
    thread = await _thread(desk, 501)
    update = tg.photo_message(501, caption="my broken part", file_id="PHOTO1")
    desk.tg.add_file("PHOTO1", JPEG, "photos/file_9.jpg")
    await desk.customer_sends(update)
    await desk.settle()
    (upload,) = desk.slack.uploads
    assert upload["thread_ts"] == thread and upload["content"] == JPEG
    assert "my broken part" in upload["initial_comment"]


async def test_album_arrives_as_one_post(desk: Desk) -> None:
    await _thread(desk, 501)
    updates = tg.album(501, ("photo", "photo"), caption="two angles")
    for i, update in enumerate(updates):
        file_id = update["message"]["photo"][-1]["file_id"]
        desk.tg.add_file(file_id, JPEG + bytes([i]), f"photos/a{i}.jpg")
        await desk.customer_sends(update)
    await desk.settle()
    assert len(desk.slack.uploads) == 2
    assert len(desk.slack.calls_to("files.completeUploadExternal")) == 1


async def test_file_over_the_download_limit_becomes_a_note(desk: Desk) -> None:
    thread = await _thread(desk, 501)
    update = tg.document_message(501, file_name="huge.zip", file_id="BIG1",
                                 file_size=25 * 1024 * 1024)
    desk.tg.add_file("BIG1", b"x", "documents/huge.zip", declared_size=25 * 1024 * 1024)
    await desk.customer_sends(update)
    await desk.settle()
    last = desk.slack.thread(CHANNEL, thread)[-1]["text"]
    assert "huge.zip" in last and "20 MB" in last
    assert desk.slack.uploads == []


async def test_location_and_contact_reach_the_thread(desk: Desk) -> None:
    thread = await _thread(desk, 501)
    await desk.customer_sends(tg.location_message(501, latitude=48.8584, longitude=2.2945))
    await desk.customer_sends(tg.contact_message(501, phone_number="+33612345678"))
    await desk.settle()
    texts = [m["text"] for m in desk.slack.thread(CHANNEL, thread)[-2:]]
    assert "48.8584" in texts[0] and "+33612345678" in texts[1]


async def test_operator_file_reaches_the_customer(desk: Desk) -> None:
    thread = await _thread(desk, 501)
    pdf = desk.slack.add_file("F1", b"%PDF-1.4 quote", name="quote.pdf",
                              mimetype="application/pdf")
    await desk.operator_writes(thread, "Here is the quote", files=[pdf])
    await desk.settle()
    (sent,) = desk.tg.chat(501)
    assert sent["method"] == "sendDocument" and sent["caption"] == "Sam: Here is the quote"
    assert desk.tg.uploads[-1]["content"] == b"%PDF-1.4 quote"


async def test_customer_edit_updates_the_slack_copy(desk: Desk) -> None:
    update = tg.text_message(501, "I need 3 chairs", message_id=71)
    await desk.customer_sends(update)
    await desk.settle()
    edited = tg.edited_text_message(501, "I need 4 chairs", message_id=71)
    await desk.customer_sends(edited)
    await desk.settle()
    reply = desk.slack.thread(CHANNEL, await desk.thread_of(501))[1]
    assert "I need 4 chairs" in reply["text"] and "edited" in reply["text"]


async def test_operator_edit_and_delete_are_mirrored(desk: Desk) -> None:
    thread = await _thread(desk, 501)
    ts = await desk.operator_writes(thread, "Price is 10 EUR")
    await desk.settle()
    assert await desk.operator_edits(thread, ts, "Price is 12 EUR") == 200
    await desk.settle()
    assert desk.tg.texts(501) == ["Sam: Price is 12 EUR"]
    assert await desk.operator_deletes(thread, ts) == 200
    await desk.settle()
    assert desk.tg.texts(501) == []
    assert desk.tg.calls_to("deleteMessage")


async def test_what_cannot_be_shown_is_named_in_the_thread(desk: Desk) -> None:
    thread = await _thread(desk, 501)
    dice = tg.text_message(501, "")
    del dice["message"]["text"]
    dice["message"]["dice"] = {"emoji": "🎲", "value": 3}
    newer = tg.text_message(501, "")
    del newer["message"]["text"]
    newer["message"]["space_trip"] = {"destination": "Moon"}  # a kind no library knows yet
    assert await desk.customer_sends(dice) == 200
    assert await desk.customer_sends(newer) == 200
    await desk.settle()
    texts = [m["text"] for m in desk.slack.thread(CHANNEL, thread)[-2:]]
    assert "The customer sent a dice roll, which cannot be shown here" in texts[0]
    assert "The customer sent something Telegram calls “space trip”" in texts[1]
    assert "unknown" not in " ".join(texts)
