"""The real bot process is SIGKILLed between storing and sending: nothing is lost."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp

from tests.fakes import tg_updates as tg
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.harness import CHANNEL, OPERATOR, WEBHOOK_SECRET, desk_env
from tests.support.bot_process import start_process, wait_healthy
from tests.support.redis_server import free_port


@contextmanager
def bot_process(env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    proc = start_process(env, cwd)
    try:
        yield proc
    finally:
        if proc.poll() is None:  # a clean stop (SIGTERM) unless the test killed it already
            proc.terminate()
        try:
            assert proc.wait(timeout=15) in (0, -signal.SIGKILL), "unclean shutdown"
        finally:
            if proc.poll() is None:
                proc.kill()


async def _until(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_sigkill_between_store_and_send_loses_nothing(
    tmp_path: Path, fake_slack: FakeSlackAPI, fake_tg: FakeTelegramAPI
) -> None:
    port = free_port()
    env = desk_env(fake_slack, fake_tg, HOST="127.0.0.1", PORT=str(port),
                   STORAGE_URL=f"sqlite:///{tmp_path / 'crash.sqlite3'}", LOG_LEVEL="ERROR")
    base, headers = f"http://127.0.0.1:{port}", {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    fake_slack.fail_next("chat.postMessage", status=500, times=1000)  # Slack is down
    async with aiohttp.ClientSession() as session:
        with bot_process(env, tmp_path) as proc:
            await wait_healthy(base, proc)
            for n in range(3):
                update = tg.text_message(901, f"message {n}")
                async with session.post(f"{base}/telegram/webhook", json=update,
                                        headers=headers) as response:
                    assert response.status == 200  # acknowledged only once stored
            await _until(lambda: fake_slack.attempts["chat.postMessage"] >= 1)
            # let the failed attempt be written back (a kill mid-call would leave the job
            # leased for a minute, which recovery also handles, only slower)
            await asyncio.sleep(0.2)
            proc.send_signal(signal.SIGKILL)
        fake_slack.calm()  # Slack is back
        with bot_process(env, tmp_path) as proc:
            await wait_healthy(base, proc)
            await _until(lambda: len(fake_slack.messages[CHANNEL]) >= 4)
            (root,) = fake_slack.roots(CHANNEL)
            texts = [m["text"] for m in fake_slack.thread(CHANNEL, root["ts"])[1:]]
            assert texts == ["message 0", "message 1", "message 2"]
        # a second restart keeps the thread mapping both ways
        with bot_process(env, tmp_path) as proc:
            await wait_healthy(base, proc)
            async with session.post(f"{base}/telegram/webhook", headers=headers,
                                    json=tg.text_message(901, "after restart")) as response:
                assert response.status == 200
            await _until(lambda: len(fake_slack.thread(CHANNEL, root["ts"])) == 5)
            assert len(fake_slack.roots(CHANNEL)) == 1
            await _reply_in_thread(session, base, fake_slack, root["ts"])
            await _until(lambda: fake_tg.texts(901) == ["Sam: still here"])


async def _reply_in_thread(session: aiohttp.ClientSession, base: str, fake: FakeSlackAPI,
                           thread_ts: str) -> None:
    import json

    from slack_sdk.signature import SignatureVerifier

    from tests.scenarios.harness import SIGNING_SECRET

    stored = fake.store_message(CHANNEL, text="still here", thread_ts=thread_ts, user=OPERATOR,
                                bot_id=None, app_id=None)
    body = json.dumps({"type": "event_callback", "event_id": "EvRESTART", "team_id": "T0001",
                       "event": {"type": "message", "channel": CHANNEL, "user": OPERATOR,
                                 "text": "still here", "ts": stored["ts"],
                                 "thread_ts": thread_ts}})
    ts = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body)
    async with session.post(f"{base}/slack/events", data=body, headers={
            "Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature}) as response:
        assert response.status == 200
