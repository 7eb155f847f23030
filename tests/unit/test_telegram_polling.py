"""Long polling through the real aiogram client against the fake Bot API when it fails:
500s, a 429 with retry_after, a server that went away. The runner waits longer and
longer (never less than retry_after), logs the outage in a few lines without traceback,
and picks the updates up when the API is back."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable

import pytest
from aiogram import Dispatcher
from aiogram.types import Message

from bot.channels.telegram.channel import build_bot
from bot.channels.telegram.runner import TelegramRunner
from bot.channels.telegram.settings import TelegramSettings
from bot.env_reader import Secret
from bot.outage import OUTAGE_BACKOFF
from tests.fakes import tg_updates as tg
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.support.clock import RecordingClock

WHAT = "Telegram polling"


class Polling:
    """A runner polling the fake in the background, and the texts its handler saw."""

    def __init__(self, fake: FakeTelegramAPI) -> None:
        self.clock, self.seen = RecordingClock(), list[str]()
        dispatcher = Dispatcher()
        dispatcher.message()(self._record)
        self.runner = TelegramRunner(
            bot=build_bot(fake.token, fake.url.rstrip("/")), dispatcher=dispatcher,
            settings=TelegramSettings(token=Secret(fake.token)), clock=self.clock,
            polling_timeout=1)

    async def _record(self, message: Message) -> None:
        self.seen.append(message.text or "")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI() as api:
        yield api


@pytest.fixture
async def polling(fake: FakeTelegramAPI) -> AsyncIterator[Polling]:
    polling = Polling(fake)
    await polling.runner.start()
    try:
        yield polling
    finally:
        await polling.runner.stop()


async def _until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.channels"]


def _came_back(caplog: pytest.LogCaptureFixture) -> bool:
    return any(m.startswith(f"{WHAT} up again") for m in _messages(caplog))


def _assert_growing(delays: list[float]) -> None:
    for tries, delay in enumerate(delays, start=1):
        ceiling = min(OUTAGE_BACKOFF.cap, OUTAGE_BACKOFF.base * 2 ** (tries - 1))
        assert ceiling / 2 <= delay <= ceiling, (tries, delays)


def _assert_quiet(caplog: pytest.LogCaptureFixture, error: str) -> None:
    records = [r for r in caplog.records if r.name == "bot.channels"]
    assert all(r.exc_info is None for r in records) and "Traceback" not in caplog.text
    messages = _messages(caplog)
    downs = [m for m in messages if m.startswith(f"{WHAT} down (")]
    assert len(downs) == 1 and error in downs[0], messages
    assert len([m for m in messages if m.startswith(f"{WHAT} up again")]) == 1
    reminders = [m for m in messages if m.startswith(f"{WHAT} still down")]
    assert len(messages) == 2 + len(reminders), messages


async def test_server_errors_and_429_back_off_then_updates_flow_again(
        fake: FakeTelegramAPI, polling: Polling, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake.fail_next("getUpdates", status=500, times=6)
    fake.fail_next("getUpdates", status=429, retry_after=40)
    fake.push_update(tg.text_message(501, "after the outage"))
    await _until(lambda: polling.seen == ["after the outage"] and _came_back(caplog))
    delays = polling.clock.slept
    assert len(delays) == 7
    _assert_growing(delays[:6])
    assert 40 <= delays[6] <= 41  # Telegram's retry_after, above the backoff's 30 s cap
    _assert_quiet(caplog, "TelegramServerError")


async def test_an_unreachable_api_is_retried_less_and_less_often(
        fake: FakeTelegramAPI, polling: Polling, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await fake.wait_for("deleteWebhook")
    await fake.stop()
    await _until(lambda: len(polling.clock.slept) >= 10)
    _assert_growing(polling.clock.slept[:10])
    await fake.start()
    fake.push_update(tg.text_message(502, "back online"))
    await _until(lambda: polling.seen == ["back online"] and _came_back(caplog))
    _assert_quiet(caplog, "TelegramNetworkError")
