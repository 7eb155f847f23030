"""What the managers' answers show: durations, rates, values, thread links."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.manager.views import describe, duration, percent, shown, thread_link, when
from bot.models import Conversation, ConversationKey, Status


@pytest.mark.parametrize(("seconds", "text"), [
    (None, "–"), (0, "0s"), (45, "45s"), (60, "1m 00s"), (800, "13m 20s"), (3600, "1h 00m"),
    (3900, "1h 05m"), (86400, "1d"), (2 * 86400 + 4 * 3600 + 59, "2d 4h")])
def test_duration(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text


@pytest.mark.parametrize(("rate", "text"), [(None, "–"), (0.0, "0%"), (2 / 3, "67%"), (1, "100%")])
def test_percent(rate: float | None, text: str) -> None:
    assert percent(rate) == text


@pytest.mark.parametrize(("setting", "value", "text"), [
    ("statuses", ["New", "Hot"], "New, Hot"),
    ("default_owner", "", "(none)"),
    ("source_by_channel", {"telegram": "Telegram", "wechat": ""}, "telegram=Telegram"),
    ("pool:sales", None, "(none)"),
    ("pause", {}, "not paused"),
    ("pause", {"id": "p1", "until": "", "message": ""}, "paused until resumed"),
    ("pause", {"id": "p1", "until": "2026-12-23T23:00:00+00:00", "message": "Merry"},
     "paused until 2026-12-23 23:00 UTC: Merry"),
])
def test_describe(setting: str, value: object, text: str) -> None:
    assert describe(setting, value) == text


def test_shown_keeps_plain_values() -> None:
    assert shown(True) == "True" and shown(3) == "3"


def test_when_reads_an_instant_on_the_desk_clock() -> None:
    assert when("2026-12-23T23:00:00+00:00", "Europe/Paris") == "2026-12-24 00:00 Europe/Paris"
    assert when("") == ""


def test_thread_links() -> None:
    conv = Conversation(id=1, key=ConversationKey("telegram", "1"), status=Status.NEW,
                        created_at=datetime(2026, 11, 2, tzinfo=UTC), slack_channel="C1",
                        thread_ts="1700000000.000100")
    assert thread_link(conv, "desk") == "https://desk.slack.com/archives/C1/p1700000000000100"
    assert thread_link(conv) == ("https://slack.com/app_redirect?channel=C1"
                                 "&message_ts=1700000000.000100")
    conv.thread_ts = ""
    assert thread_link(conv, "desk") == ""
