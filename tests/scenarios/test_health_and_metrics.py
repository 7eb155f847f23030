"""/healthz and /metrics tell an engineer what the bot is doing; limits keep bodies small."""

from __future__ import annotations

import io
import json

from tests.fakes import tg_updates as tg
from tests.scenarios.harness import WEBHOOK_SECRET, Desk


async def test_metrics_count_messages_and_delivery_latency(desk: Desk) -> None:
    await desk.customer_sends(tg.text_message(501, "hello"))
    await desk.settle()
    text = await (await desk.http.get("/metrics")).text()
    assert 'bot_messages_in_total{channel="telegram"} 1.0' in text
    assert 'bot_messages_out_total{kind="slack.relay_in"} 1.0' in text
    assert 'bot_delivery_latency_seconds_count{kind="slack.relay_in"} 1.0' in text
    assert "bot_outbox_depth 0.0" in text


async def test_failures_are_counted_by_reason(desk: Desk) -> None:
    desk.slack.fail_next("chat.postMessage", status=429, error="ratelimited", retry_after=1)
    await desk.customer_sends(tg.text_message(501, "hello"))
    await desk.settle()
    text = await (await desk.http.get("/metrics")).text()
    assert 'bot_delivery_failures_total{kind="slack.relay_in",reason="ratelimited"} 1.0' in text


async def test_healthz_reports_outbox_and_channels(desk: Desk) -> None:
    body = await (await desk.http.get("/healthz")).json()
    assert body["ok"] and body["channels"] == {"telegram": True, "slack": True}
    assert body["outbox"] == {"depth": 0, "failed": 0, "oldest_age": 0.0}


async def test_oversized_body_is_refused_and_stores_nothing(desk: Desk) -> None:
    body = json.dumps(tg.text_message(501, "x" * (1024 * 1024 + 1))).encode()
    response = await desk.http.post(
        "/telegram/webhook", data=io.BytesIO(body),
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
                 "Content-Type": "application/json"})
    assert response.status == 413
    assert await desk.storage.list_conversations() == []


async def test_healthz_is_503_when_the_store_is_down(desk: Desk) -> None:
    await desk.storage.close()
    response = await desk.http.get("/healthz")
    assert response.status == 503
    assert (await response.json())["ok"] is False
