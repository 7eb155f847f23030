"""/healthz and /metrics tell an engineer what the bot is doing; limits keep bodies small."""

from __future__ import annotations

import io
import json
import time
import uuid

from aiohttp.test_utils import TestClient, TestServer

from bot.metrics import Metrics
from bot.web import Health, create_web_app
from storage.redis import RedisStorage
from tests.fakes import tg_updates as tg
from tests.scenarios.harness import WEBHOOK_SECRET, Desk
from tests.support.stalling_proxy import StallingProxy

# A Redis command's deadline in the test below (the bot's own is 5 s): short, so the test is
# quick, and long enough that a loaded machine cannot blur one deadline into two.
DEADLINE = 1.5


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


async def test_healthz_answers_503_within_one_deadline_when_redis_hangs(
        redis_server_url: str) -> None:
    proxy = StallingProxy(redis_server_url)
    async with proxy.serving() as url:
        store = await RedisStorage.from_url(url, prefix=f"h{uuid.uuid4().hex[:10]}",
                                            timeout=DEADLINE)
        web_app = create_web_app(Health(storage=store, metrics=Metrics()), max_body_bytes=1024)
        try:
            async with TestClient(TestServer(web_app)) as http:
                proxy.flowing.clear()
                asked = time.monotonic()
                response = await http.get("/healthz")
                waited = time.monotonic() - asked
                body = await response.json()
        finally:
            proxy.flowing.set()
            await store.close()
    assert response.status == 503
    # The ping is cut off within 1.2 deadlines; asking the outbox next would add another.
    assert waited < 2 * DEADLINE
    assert body["ok"] is False and body["storage"] == "unreachable"
