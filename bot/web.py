"""The one aiohttp application: health, metrics, and the routes channels register."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.errors import StorageError
from bot.metrics import Metrics
from storage.base import BaseStorage


@dataclass
class Health:
    storage: BaseStorage
    metrics: Metrics
    channels: dict[str, Any] = field(default_factory=dict)


HEALTH = web.AppKey("health", Health)


# Inbound events (webhook and Slack POSTs) handled at once; the rest wait in line.
MAX_EVENTS_IN_FLIGHT = 128
# Time a request body has to arrive once its headers passed the route's checks. Slack gives
# up on a request after 3 s, so a body still arriving after 5 s is no platform's delivery.
BODY_SECONDS = 5.0


class Admission:
    """Back-pressure for a burst: the store sees at most ``limit`` event handlers at a time
    (on Redis, that many connections) and the rest queue in arrival order, instead of
    each opening its own connection until the pool refuses and the platform resends.

    A route takes a slot only once the request has shown it is genuine: headers checked,
    body read within ``body_seconds``, signature verified. A slow or forged request never
    holds a slot, so it cannot make a genuine event wait.
    """

    def __init__(self, *, limit: int = MAX_EVENTS_IN_FLIGHT,
                 body_seconds: float = BODY_SECONDS) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._body_seconds = body_seconds

    async def read_body(self, request: web.Request) -> bytes:
        """The whole body, or 408 when it takes longer than ``body_seconds`` to arrive
        (413 over the app's ``client_max_size``, as aiohttp answers)."""
        try:
            async with asyncio.timeout(self._body_seconds):
                return await request.read()
        except TimeoutError:
            raise web.HTTPRequestTimeout(
                text='{"error": "request body too slow"}', content_type="application/json",
            ) from None

    def slot(self) -> asyncio.Semaphore:
        """Held while one event is handled."""
        return self._slots


ADMISSION = web.AppKey("admission", Admission)


def admission_of(app: web.Application) -> Admission:
    """The app's admission; one with the defaults when the app was built without one."""
    if ADMISSION not in app:
        app[ADMISSION] = Admission()
    return app[ADMISSION]


def create_web_app(health: Health, *, max_body_bytes: int,
                   admission: Admission | None = None) -> web.Application:
    app = web.Application(client_max_size=max_body_bytes)
    app[HEALTH] = health
    app[ADMISSION] = admission or Admission()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


async def _outbox_gauges(health: Health) -> dict[str, float]:
    stats = await health.storage.outbox_stats(now=time.time())
    health.metrics.outbox_depth.set(stats.depth)
    health.metrics.outbox_failed.set(stats.failed)
    health.metrics.outbox_age.set(stats.oldest_age)
    return {"depth": stats.depth, "failed": stats.failed, "oldest_age": stats.oldest_age}


async def _store_problem(storage: BaseStorage) -> str | None:
    """:return: None when the store answers, else what ``/healthz`` reports about it."""
    try:
        answered = await storage.ping()
    except StorageError as exc:  # the store's own words, written to be shown
        return f"unavailable: {exc}"
    except Exception as exc:  # a health check reports a broken store, it does not crash
        return f"unreachable: {type(exc).__name__}"
    return None if answered else "unreachable"


def _unhealthy(health: Health, problem: str) -> web.Response:
    return web.json_response({"ok": False, "storage": problem, "channels": health.channels},
                             status=503)


async def healthz(request: web.Request) -> web.Response:
    health = request.app[HEALTH]
    # A store found down is not asked for its outbox too: on a Redis that has stopped
    # answering, that would be a second deadline before the answer.
    if (problem := await _store_problem(health.storage)) is not None:
        return _unhealthy(health, problem)
    try:
        outbox = await _outbox_gauges(health)
    except Exception as exc:
        return _unhealthy(health, f"unreachable: {type(exc).__name__}")
    return web.json_response({"ok": True, "storage": "ok", "outbox": outbox,
                              "channels": health.channels})


async def metrics(request: web.Request) -> web.Response:
    health = request.app[HEALTH]
    try:
        await _outbox_gauges(health)
    except Exception:
        pass  # the counters are still worth serving when the store is down
    return web.Response(body=generate_latest(health.metrics.registry),
                        headers={"Content-Type": CONTENT_TYPE_LATEST})

