"""The real ``python -m bot`` at ``LOG_LEVEL=DEBUG`` relays a customer's message and an
operator's reply carrying a name, an email address and a phone number: none of them, and
no token, shows up in its log, in text or in JSON lines, over HTTP or Socket Mode."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier

from tests.fakes import tg_updates as tg
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.harness import CHANNEL, OPERATOR, SIGNING_SECRET, WEBHOOK_SECRET, desk_env
from tests.support.bot_process import start_process, wait_healthy
from tests.support.redis_server import free_port

CHAT = 9301
CUSTOMER_TEXT = "Quince-order 7781QX, write to zelda.quill@example.org or call +33 6 98 76 54 32"
CUSTOMER_PHONE = "+33698765432"
OPERATOR_TEXT = "Marrow-reply: reach me at ops.hidden@example.net, +1 415 555 0199"
PRIVATE = ("Quince-order", "7781QX", "zelda.quill@example.org", "98 76 54 32", CUSTOMER_PHONE,
           "Marrow-reply", "ops.hidden@example.net", "555 0199", "Zelda", "Quillfeather",
           "zquill", "xoxb-scenario", "xapp-1-scenario", WEBHOOK_SECRET, SIGNING_SECRET)


async def _until(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def _customer_writes(session: aiohttp.ClientSession, base: str) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    who: tg.Sender = {"first_name": "Zelda", "last_name": "Quillfeather", "username": "zquill"}
    for update in (tg.text_message(CHAT, CUSTOMER_TEXT, **who),
                   tg.contact_message(CHAT, phone_number=CUSTOMER_PHONE, **who)):
        async with session.post(f"{base}/telegram/webhook", json=update,
                                headers=headers) as response:
            assert response.status == 200


async def _operator_replies(session: aiohttp.ClientSession, base: str, fake: FakeSlackAPI,
                            thread_ts: str) -> None:
    stored = fake.store_message(CHANNEL, text=OPERATOR_TEXT, thread_ts=thread_ts,
                                user=OPERATOR, bot_id=None, app_id=None)
    body = json.dumps({"type": "event_callback", "event_id": "EvLOGS1", "team_id": "T0001",
                       "event": {"type": "message", "channel": CHANNEL, "user": OPERATOR,
                                 "text": OPERATOR_TEXT, "ts": stored["ts"],
                                 "thread_ts": thread_ts}})
    ts = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    async with session.post(f"{base}/slack/events", data=body, headers={
            "Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature}) as response:
        assert response.status == 200


async def _operator_replies_over_socket(fake: FakeSlackAPI, thread_ts: str) -> None:
    stored = fake.store_message(CHANNEL, text=OPERATOR_TEXT, thread_ts=thread_ts,
                                user=OPERATOR, bot_id=None, app_id=None)
    event = {"type": "message", "channel": CHANNEL, "user": OPERATOR, "text": OPERATOR_TEXT,
             "ts": stored["ts"], "thread_ts": thread_ts}
    payload = {"type": "event_callback", "event_id": "EvLOGS2", "team_id": "T0001",
               "api_app_id": "A0001", "event": event, "event_time": int(time.time())}
    await fake.wait_for_ack(await fake.socket_send("events_api", payload))


async def _relay_both_ways(tmp_path: Path, fake_slack: FakeSlackAPI, fake_tg: FakeTelegramAPI,
                           log_format: str, *, socket_mode: bool = False) -> str:
    """Run the bot at DEBUG through one exchange; :return: everything it wrote to stderr."""
    port, log_path = free_port(), tmp_path / "bot.log"
    mode = {"SLACK_APP_TOKEN": "xapp-1-scenario", "SLACK_SIGNING_SECRET": ""} if socket_mode \
        else {}
    env = desk_env(fake_slack, fake_tg, HOST="127.0.0.1", PORT=str(port), LOG_LEVEL="DEBUG",
                   LOG_FORMAT=log_format, STORAGE_URL=f"sqlite:///{tmp_path / 'logs.sqlite3'}",
                   **mode)
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        proc = start_process(env, tmp_path, stderr=log)
        session = aiohttp.ClientSession()
        try:
            await wait_healthy(base, proc)
            await _customer_writes(session, base)
            await _until(lambda: len(fake_slack.messages[CHANNEL]) >= 3)
            (root,) = fake_slack.roots(CHANNEL)
            if socket_mode:
                await _operator_replies_over_socket(fake_slack, root["ts"])
            else:
                await _operator_replies(session, base, fake_slack, root["ts"])
            await _until(lambda: any("Marrow-reply" in t for t in fake_tg.texts(CHAT)))
        finally:
            await session.close()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == 0
    return log_path.read_text(encoding="utf-8")


def _assert_json_lines(output: str) -> None:
    """``LOG_FORMAT=json``: every line is one JSON object a log shipper can read."""
    entries = [json.loads(line) for line in output.splitlines()]
    assert len(entries) > 3 and all(isinstance(e, dict) for e in entries)
    assert all({"time", "level", "logger", "message"} <= e.keys() for e in entries)
    assert any(e["logger"] == "bot.app" and e["message"].startswith("listening on http://")
               for e in entries)


@pytest.mark.parametrize(("log_format", "socket_mode"),
                         [("text", False), ("json", False), ("text", True)],
                         ids=["text-http", "json-http", "text-socket-mode"])
async def test_debug_logs_carry_no_message_body_contact_or_token(
        tmp_path: Path, fake_slack: FakeSlackAPI, fake_tg: FakeTelegramAPI,
        log_format: str, socket_mode: bool) -> None:
    output = await _relay_both_ways(tmp_path, fake_slack, fake_tg, log_format,
                                    socket_mode=socket_mode)
    assert "DEBUG" in output  # the run really was at DEBUG
    leaked = [secret for secret in PRIVATE if secret in output]
    assert leaked == [], f"found in the log: {leaked}"
    if log_format == "json":
        _assert_json_lines(output)
