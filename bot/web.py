"""The one aiohttp application: health, metrics, and the routes channels register."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.metrics import Metrics
from storage.base import BaseStorage

HEALTH: web.AppKey[Health] = web.AppKey("health")


@dataclass
class Health:
    storage: BaseStorage
    metrics: Metrics
    channels: dict[str, bool] = field(default_factory=dict)


# Inbound events (webhook and Slack POSTs) handled at once; the rest wait in line.
MAX_EVENTS_IN_FLIGHT = 128


def admission(limit: int = MAX_EVENTS_IN_FLIGHT) -> Middleware:
    """Back-pressure for a burst: the store sees at most ``limit`` event handlers at a time
    (on Redis, that many connections) and the rest queue in arrival order, instead of
    each opening its own connection until the pool refuses and the platform resends."""
    gate = asyncio.Semaphore(limit)

    @web.middleware
    async def admit(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST":
            return await handler(request)  # health checks and metrics never queue
        async with gate:
            return await handler(request)

    return admit


def create_web_app(health: Health, *, max_body_bytes: int) -> web.Application:
    app = web.Application(client_max_size=max_body_bytes, middlewares=[admission()])
    app[HEALTH] = health
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


async def _outbox_gauges(health: Health) -> dict[str, float]:
    stats = await health.storage.outbox_stats(now=time.time())
    health.metrics.outbox_depth.set(stats.depth)
    health.metrics.outbox_failed.set(stats.failed)
    health.metrics.outbox_age.set(stats.oldest_age)
    return {"depth": stats.depth, "failed": stats.failed, "oldest_age": stats.oldest_age}


async def healthz(request: web.Request) -> web.Response:
    health = request.app[HEALTH]
    try:
        store_ok = await health.storage.ping()
        outbox = await _outbox_gauges(health)
    except Exception as exc:  # a health check reports a broken store, it does not crash
        return web.json_response(
            {"ok": False, "storage": f"unreachable: {type(exc).__name__}",
             "channels": health.channels}, status=503)
    body = {"ok": store_ok, "storage": "ok" if store_ok else "unreachable",
            "outbox": outbox, "channels": health.channels}
    return web.json_response(body, status=200 if store_ok else 503)


async def metrics(request: web.Request) -> web.Response:
    health = request.app[HEALTH]
    try:
        await _outbox_gauges(health)
    except Exception:
        pass  # the counters are still worth serving when the store is down
    return web.Response(body=generate_latest(health.metrics.registry),
                        headers={"Content-Type": CONTENT_TYPE_LATEST})

