"""Channel messaging policies over the running desk. Telegram has none by default, so the
tests give it WeChat's (48 h window, 5 messages per customer message, media limits): a
reply that would break one is not sent and the thread says why; the card shows what is left.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.models import Direction
from bot.channels.platform_rules import WECHAT
from bot.preferences import set_preference
from tests.scenarios.harness import Desk
from tests.scenarios.timed import (  # noqa: F401 (desk: a fixture, on a fake clock)
    HOUR,
    card,
    clock,
    conversation,
    customer_writes,
    desk,
    operator_replies,
    replies,
)

MB = 1024 * 1024
JPEG = b"\xff\xd8\xff\xe0" + b"jpegdata" * 100
BLOCKED = ":warning: Not sent to the customer: "


@pytest.fixture(autouse=True)
async def wechat_rules_on_telegram(desk: Desk) -> None:
    await set_preference(desk.storage, "channel_policies",
                         {"telegram": WECHAT.policy_doc()})


async def last_note(desk: Desk, chat_id: int) -> str:
    return str(replies(desk, await desk.thread_of(chat_id))[-1]["text"])


def slack_file(desk: Desk, file_id: str, name: str, mimetype: str,
               size: int | None = None) -> dict[str, Any]:
    shared = desk.slack.add_file(file_id, JPEG, name=name, mimetype=mimetype)
    return shared if size is None else {**shared, "size": size}


async def test_no_reply_once_the_window_closed(desk: Desk) -> None:
    await customer_writes(desk, 701, "hello")
    clock(desk).advance(47 * HOUR)
    await operator_replies(desk, 701, "Sorry for the delay")
    assert desk.tg.texts(701) == ["Sam: Sorry for the delay"]
    clock(desk).advance(4 * HOUR)  # 51 h after the customer wrote

    await operator_replies(desk, 701, "Are you still there?")
    assert desk.tg.texts(701) == ["Sam: Sorry for the delay"]
    assert await last_note(desk, 701) == (
        BLOCKED + "the 48 h reply window of Telegram closed 3 h ago: "
        "the customer must write first.")
    stored = await desk.storage.list_messages((await conversation(desk, 701)).id)
    assert stored[-1].direction is Direction.NOTE  # kept in the thread, not sent

    await customer_writes(desk, 701, "yes!")  # a new window
    await operator_replies(desk, 701, "Great")
    assert desk.tg.texts(701)[-1] == "Sam: Great"


async def test_no_sixth_message_until_the_customer_writes(desk: Desk) -> None:
    await customer_writes(desk, 702, "hello")
    for n in range(5):
        clock(desk).advance(2)  # under the per-chat send rate, which runs on this clock too
        await operator_replies(desk, 702, f"answer {n}")
    assert len(desk.tg.texts(702)) == 5

    await operator_replies(desk, 702, "one more thing")
    assert len(desk.tg.texts(702)) == 5
    assert await last_note(desk, 702) == (
        BLOCKED + "5 messages sent since the customer last wrote, and Telegram allows 5: "
        "the customer must write first.")

    await customer_writes(desk, 702, "go on")
    await operator_replies(desk, 702, "one more thing")
    assert desk.tg.texts(702)[-1] == "Sam: one more thing"


async def test_each_file_counts_against_the_quota(desk: Desk) -> None:
    await customer_writes(desk, 703, "send pictures")
    await operator_replies(desk, 703, "first")
    photos = [slack_file(desk, f"F{n}", f"p{n}.jpg", "image/jpeg") for n in range(3)]
    thread = await desk.thread_of(703)
    clock(desk).advance(5)
    await desk.operator_writes(thread, "three photos", files=photos)
    clock(desk).advance(5)
    await desk.settle()
    assert len(desk.tg.chat(703)) == 4
    assert (await conversation(desk, 703)).operator_streak == 4

    await desk.operator_writes(thread, "two more", files=photos[:2])
    await desk.settle()
    assert len(desk.tg.chat(703)) == 4
    assert await last_note(desk, 703) == (
        BLOCKED + "this reply would reach the customer as 2 messages (one per file), but "
        "only 1 of the 5 Telegram allows per customer message are left: send fewer files at "
        "once.")


@pytest.mark.parametrize(("name", "mimetype", "size", "reason"), [
    ("clip.mp4", "video/mp4", 12 * MB,
     "*clip.mp4* is 12 MB, over the 10 MB Telegram allows for video: send a smaller file."),
    ("note.mp3", "audio/mpeg", 2 * MB + MB // 2,
     "*note.mp3* is 2.5 MB, over the 2 MB Telegram allows for voice: send a smaller file."),
    ("quote.pdf", "application/pdf", None,
     "*quote.pdf* cannot be sent on Telegram, which takes only image (jpeg/jpg/png) up to "
     "10 MB, voice (amr/mp3) up to 2 MB, video (mp4) up to 10 MB."),
])
async def test_files_over_the_limits_are_not_sent(desk: Desk, name: str, mimetype: str,
                                                  size: int | None, reason: str) -> None:
    await customer_writes(desk, 704, "send it")
    shared = slack_file(desk, "F9", name, mimetype, size)
    await desk.operator_writes(await desk.thread_of(704), "here", files=[shared])
    await desk.settle()
    assert desk.tg.chat(704) == []
    assert await last_note(desk, 704) == BLOCKED + reason


async def test_an_allowed_file_goes_out(desk: Desk) -> None:
    await customer_writes(desk, 705, "photo please")
    photo = slack_file(desk, "F7", "shop.jpg", "image/jpeg")
    await desk.operator_writes(await desk.thread_of(705), "our shop", files=[photo])
    await desk.settle()
    assert [m["method"] for m in desk.tg.chat(705)] == ["sendPhoto"]


async def test_the_card_shows_the_window_and_the_quota_left(desk: Desk) -> None:
    await customer_writes(desk, 706, "hello")
    thread = await desk.thread_of(706)
    assert "window: 48 h left (until <!date^" in card(desk, thread)
    assert "5 of 5 replies left" in card(desk, thread)
    clock(desk).advance(7 * HOUR)
    await operator_replies(desk, 706, "Hi!")
    assert "window: 41 h left" in card(desk, thread)
    assert "4 of 5 replies left" in card(desk, thread)
    await operator_replies(desk, 706, "// internal: call back tomorrow")  # a note: no change
    assert "4 of 5 replies left" in card(desk, thread)
    await customer_writes(desk, 706, "thanks")
    assert "window: 48 h left" in card(desk, thread) and "5 of 5 replies left" in card(
        desk, thread)
    await operator_replies(desk, 706, "!close")  # nothing counted once closed
    assert "Closed" in card(desk, thread) and "replies left" not in card(desk, thread)


async def test_without_a_policy_nothing_is_limited_or_shown(desk: Desk) -> None:
    await set_preference(desk.storage, "channel_policies", {})  # WeChat's only
    await customer_writes(desk, 707, "hello")
    clock(desk).advance(72 * HOUR)
    for n in range(7):
        clock(desk).advance(2)
        await operator_replies(desk, 707, f"answer {n}")
    assert len(desk.tg.texts(707)) == 7
    assert "replies left" not in card(desk, await desk.thread_of(707))
