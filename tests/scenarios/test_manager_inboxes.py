"""``/leads`` in a deployment with two inboxes, through the real web app: run in one inbox's
Slack channel it acts on that inbox; ``inbox=NAME`` picks another; its customers notice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from bot.config import Settings
from bot.inboxes import Inbox
from bot.preferences import own_preference, preference
from storage.sqlite import SqliteStorage
from tests.fakes import tg_updates as tg
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.harness import CHANNEL, Desk, desk_env
from tests.scenarios.slash import MANAGER, ManualClock, ask, slash

ZEN_CHANNEL = "CZEN"
AWAY = "Our team is away right now"


@asynccontextmanager
async def two_inbox_desk(path: Path, slack: FakeSlackAPI, telegram: FakeTelegramAPI,
                         clock: ManualClock) -> AsyncIterator[Desk]:
    """The environment's Telegram bot is the ``default`` inbox (brand ACME Garden, threads
    in ``CHANNEL``); a second inbox, ``zen``, owns ``ZEN_CHANNEL``."""
    settings = Settings.from_env(desk_env(slack, telegram, SLACK_MANAGERS=MANAGER))
    acme = Inbox(name="default", slack_channel=CHANNEL, brand="ACME Garden",
                 telegram=settings.telegram)
    zen = Inbox(name="zen", slack_channel=ZEN_CHANNEL, brand="Zen Tea")
    settings = replace(settings, inbox_list=(acme, zen))
    store = await SqliteStorage.from_url(f"sqlite:///{path}")
    app = await build_app(settings, storage=store, poll_interval=0.01, outbox_seed=1,
                          clock=clock)
    if app.sweeper is not None:
        app.sweeper.loop = False
    http = TestClient(TestServer(app.web))
    await http.start_server()
    await app.start()
    try:
        yield Desk(app=app, http=http, slack=slack, tg=telegram)
    finally:
        await http.close()
        await app.stop()


async def writes(desk: Desk, clock: ManualClock, chat_id: int, text: str) -> None:
    await desk.customer_sends(tg.text_message(chat_id, text))
    await desk.settle()
    clock.advance(60)


async def test_pause_in_one_inbox_channel_reaches_only_its_customers(
        tmp_path: Path, fake_slack: FakeSlackAPI, fake_tg: FakeTelegramAPI) -> None:
    clock = ManualClock()
    async with two_inbox_desk(tmp_path / "desk.sqlite3", fake_slack, fake_tg, clock) as desk:
        answer = await ask(desk, "pause Back on Monday", channel=ZEN_CHANNEL)
        assert answer.startswith("Done: *pause* for Zen Tea not paused → paused until resumed")
        await writes(desk, clock, 701, "hello?")
        assert desk.tg.texts(701) == []  # ACME's customer: ACME is not paused

        assert "There is no inbox called `nope`. Inboxes: default, zen" in (
            await slash(desk, "pause inbox=nope")).text
        answer = await ask(desk, "pause inbox=default")  # run elsewhere, naming the inbox
        assert answer.startswith("Done: *pause* for ACME Garden not paused")
        await writes(desk, clock, 702, "anyone?")
        (away,) = desk.tg.texts(702)
        assert AWAY in away

        zen = await ask(desk, "", channel=ZEN_CHANNEL)
        assert zen.startswith("*Inbox Zen Tea*") and ":palm_tree: Paused" in zen
        desk_wide = await ask(desk, "inbox=all")
        assert "*Per inbox*" in desk_wide and ":palm_tree: Paused:" not in desk_wide
        assert "• *ACME Garden* (`default`): 2 conversations" in desk_wide
        assert "• *Zen Tea* (`zen`): 0 conversations" in desk_wide

        store = desk.app.storage
        assert await preference(store, "pause") == {}  # the desk-wide value: not paused
        assert (await own_preference(store, "pause", "zen"))["message"] == "Back on Monday"
        trail = await ask(desk, "audit")
        assert "*pause* in `zen`" in trail and "*pause* in `default`" in trail
