"""The one duration grammar: timers, pauses and channel rules read durations alike."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.durations import human_duration, parse_duration
from bot.manager.commands import Pause, SetOption
from bot.manager.parse import parse

S, M, H = timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1)
D, W = timedelta(days=1), timedelta(weeks=1)


@pytest.mark.parametrize(("value", "expected"), [
    (900, 15 * M), (90.5, timedelta(seconds=90.5)), ("90s", 90 * S), ("15m", 15 * M),
    ("15min", 15 * M), ("24h", 24 * H), ("7d", 7 * D), ("2w", 2 * W), (" 1.5H ", 90 * M),
    ("0", timedelta(0)),
])
def test_parse_duration(value: object, expected: timedelta) -> None:
    assert parse_duration(value) == expected


@pytest.mark.parametrize("value", ["", "soon", "15 weeks", "-5m", -1, True, None, [], "1e9d"])
def test_parse_duration_refuses(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


@pytest.mark.parametrize(("delta", "text"), [
    (45 * S, "45 s"), (15 * M, "15 min"), (90 * M, "1 h"), (24 * H, "24 h"), (41 * H, "41 h"),
    (48 * H, "48 h"), (72 * H, "3 days"), (15 * D, "15 days"), (-H, "0 s"),
])
def test_human_duration(delta: timedelta, text: str) -> None:
    assert human_duration(delta) == text


@pytest.mark.parametrize("written", ["90s", "15m", "24h", "7d", "2w", "1.5h"])
def test_a_duration_a_pause_takes_is_one_a_timer_takes(written: str) -> None:
    assert parse(f"pause for {written}").command == Pause(parse_duration(written))
    assert parse(f"set inactive_after {written}").command == SetOption("inactive_after", written)
