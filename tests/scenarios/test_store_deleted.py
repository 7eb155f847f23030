"""The SQLite store's directory is deleted under the running bot: nothing more is
acknowledged (the platforms send it again), and /healthz says what happened."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.sqlite import SqliteStorage
from tests.fakes import tg_updates as tg
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.harness import CHANNEL, OPERATOR, Desk, running_desk


@pytest.fixture
async def desk_in_data(tmp_path: Path, fake_slack: FakeSlackAPI,
                       fake_tg: FakeTelegramAPI) -> AsyncIterator[Desk]:
    store = await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'data' / 'bot.sqlite3'}")
    async with running_desk(store, fake_slack, fake_tg) as desk:
        yield desk


async def test_a_customer_message_is_not_acknowledged_once_the_directory_is_gone(
        desk_in_data: Desk, tmp_path: Path) -> None:
    desk = desk_in_data
    assert await desk.customer_sends(tg.text_message(501, "before")) == 200
    await desk.settle()
    shutil.rmtree(tmp_path / "data")
    assert await desk.customer_sends(tg.text_message(501, "after")) >= 500
    health = await desk.http.get("/healthz")
    assert health.status == 503
    assert (await health.json())["storage"] == (
        "unavailable: the database file was deleted or replaced")


async def test_an_operator_reply_is_not_acknowledged_once_the_directory_is_gone(
        desk_in_data: Desk, tmp_path: Path) -> None:
    desk = desk_in_data
    await desk.customer_sends(tg.text_message(501, "hello"))
    await desk.settle()
    thread = await desk.thread_of(501)
    shutil.rmtree(tmp_path / "data")
    stored = desk.slack.store_message(CHANNEL, text="On its way", thread_ts=thread,
                                      user=OPERATOR, bot_id=None, app_id=None)
    event = {"type": "message", "channel": CHANNEL, "user": OPERATOR, "text": "On its way",
             "ts": stored["ts"], "thread_ts": thread, "event_ts": stored["ts"],
             "channel_type": "channel"}
    assert await desk.slack_event(event) >= 500
    assert desk.tg.texts(501) == []
