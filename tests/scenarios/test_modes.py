"""Long polling instead of the webhook; Socket Mode instead of HTTP."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from storage.sqlite import SqliteStorage
from tests.fakes import tg_updates as tg
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.harness import CHANNEL, OPERATOR, running_desk


async def _store(tmp_path: Path) -> SqliteStorage:
    return await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'modes.sqlite3'}")


async def test_long_polling_relays_and_confirms_updates(
    tmp_path: Path, fake_slack: FakeSlackAPI, fake_tg: FakeTelegramAPI
) -> None:
    async with running_desk(await _store(tmp_path), fake_slack, fake_tg,
                            TELEGRAM_WEBHOOK_URL="", TELEGRAM_WEBHOOK_SECRET="") as desk:
        fake_tg.push_update(tg.text_message(501, "polled in"))
        await fake_slack.wait_for("chat.postMessage", 2)
        await desk.settle()
        thread = fake_slack.thread(CHANNEL, await desk.thread_of(501))
        assert [m["text"] for m in thread[1:]] == ["polled in"]
        assert fake_tg.calls_to("deleteWebhook")
        # the stored update is confirmed by the next getUpdates (its offset moves past it)
        for _ in range(500):
            if not fake_tg.updates:
                break
            await asyncio.sleep(0.01)
        assert fake_tg.updates == []


async def test_socket_mode_receives_thread_replies(
    tmp_path: Path, fake_slack: FakeSlackAPI, fake_tg: FakeTelegramAPI
) -> None:
    async with running_desk(await _store(tmp_path), fake_slack, fake_tg,
                            SLACK_APP_TOKEN="xapp-1-scenario", SLACK_SIGNING_SECRET="") as desk:
        await desk.customer_sends(tg.text_message(501, "hello over sockets"))
        await desk.settle()
        thread = await desk.thread_of(501)
        stored = fake_slack.store_message(CHANNEL, text="answered via socket", thread_ts=thread,
                                          user=OPERATOR, bot_id=None, app_id=None)
        event = {"type": "message", "channel": CHANNEL, "user": OPERATOR,
                 "text": "answered via socket", "ts": stored["ts"], "thread_ts": thread}
        payload = {"type": "event_callback", "event_id": "EvSOCK1", "team_id": "T0001",
                   "api_app_id": "A0001", "event": event, "event_time": int(time.time())}
        envelope_id = await fake_slack.socket_send("events_api", payload)
        await fake_slack.wait_for_ack(envelope_id)
        await fake_tg.wait_for("sendMessage")
        assert fake_tg.texts(501) == ["Sam: answered via socket"]
        # in Socket Mode nothing listens for Slack over HTTP
        assert (await desk.http.post("/slack/events", data=b"{}")).status == 404
