from __future__ import annotations

from typing import Any

import pytest

from bot.models import Attachment, OperatorMessage
from bot.slack import parse

ROOT = "1700000000.000100"
REPLY = "1700000001.000200"


def reply(**overrides: Any) -> dict[str, Any]:
    event = {"type": "message", "channel": "C1", "user": "U1", "text": "Hello there",
             "ts": REPLY, "thread_ts": ROOT, "parent_user_id": "UBOT",
             "channel_type": "channel", "event_ts": REPLY}
    event.update(overrides)
    return {k: v for k, v in event.items() if v is not None}


FILE = {"id": "F1", "name": "photo.png", "title": "photo", "mimetype": "image/png",
        "filetype": "png", "size": 2048,
        "url_private": "https://files.slack.com/files-pri/T1-F1/photo.png",
        "url_private_download": "https://files.slack.com/files-pri/T1-F1/download/photo.png"}


def test_thread_reply_is_an_operator_message() -> None:
    assert parse.operator_message(reply()) == OperatorMessage(
        slack_channel="C1", thread_ts=ROOT, ts=REPLY, user="U1", text="Hello there",
        event_key=f"slack:C1:{REPLY}")


def test_file_share_reply_carries_download_urls() -> None:
    message = parse.operator_message(reply(subtype="file_share", text="", files=[FILE]))
    assert message is not None
    assert message.files == (Attachment(
        kind="file", ref=FILE["url_private_download"], name="photo.png", mime="image/png",
        size=2048, details={"id": "F1"}),)


def test_file_without_download_url_is_kept_with_empty_ref() -> None:
    message = parse.operator_message(reply(files=[{"id": "F2", "mode": "hidden_by_limit"}]))
    assert message is not None and message.files[0].ref == ""


def test_broadcast_reply_counts() -> None:
    assert parse.operator_message(reply(subtype="thread_broadcast")) is not None


@pytest.mark.parametrize("event", [
    reply(thread_ts=None),                          # root message in the channel
    reply(thread_ts=REPLY),                         # a thread parent (thread_ts == ts)
    reply(bot_id="BBOT", user="UBOT"),              # our own post
    reply(bot_id="B2"),                             # another app, no subtype (post-2021)
    reply(subtype="bot_message", user=None, bot_id="B2"),
    reply(subtype="channel_join"),
    reply(subtype="message_replied"),
    reply(user=None),
    reply(channel=None),
], ids=["root", "parent", "own-bot", "other-bot", "bot_message", "join", "replied",
        "no-user", "no-channel"])
def test_not_an_operator_message(event: dict[str, Any]) -> None:
    assert parse.operator_message(event) is None


def changed(new: dict[str, Any], old_text: str = "Hello there") -> dict[str, Any]:
    return {"type": "message", "subtype": "message_changed", "hidden": True, "channel": "C1",
            "ts": "1700000009.000900", "message": new,
            "previous_message": {**new, "text": old_text}}


def test_edit_of_a_reply() -> None:
    event = changed(reply(text="Hello, fixed", edited={"user": "U1", "ts": "1.1"}))
    assert parse.edited(event) == ("C1", REPLY, "Hello, fixed")
    assert parse.operator_message(event) is None and parse.deleted(event) is None


@pytest.mark.parametrize("event", [
    changed(reply(text="Hello there")),                      # link unfurl: same text
    changed(reply(text="new", thread_ts=None)),               # root message edited
    changed(reply(text="new", bot_id="BBOT", user="UBOT")),   # our own chat.update
    reply(),                                                  # not a change at all
    {**changed(reply(text="new")), "message": "garbage"},
], ids=["unfurl", "root", "own-update", "plain", "garbage"])
def test_not_an_operator_edit(event: dict[str, Any]) -> None:
    assert parse.edited(event) is None


def deletion(previous: dict[str, Any] | None) -> dict[str, Any]:
    event = {"type": "message", "subtype": "message_deleted", "hidden": True, "channel": "C1",
             "ts": "1700000009.000900", "deleted_ts": REPLY, "previous_message": previous}
    return {k: v for k, v in event.items() if v is not None}


def test_deletion_of_a_reply() -> None:
    assert parse.deleted(deletion(reply())) == ("C1", REPLY)
    assert parse.deleted(deletion(None)) == ("C1", REPLY)
    assert parse.operator_message(deletion(reply())) is None


@pytest.mark.parametrize("event", [
    deletion(reply(thread_ts=None)),
    deletion(reply(bot_id="BBOT", user="UBOT")),
    {**deletion(reply()), "deleted_ts": ""},
    changed(reply(text="x")),
], ids=["root", "own-bot", "no-ts", "edit"])
def test_not_an_operator_deletion(event: dict[str, Any]) -> None:
    assert parse.deleted(event) is None
