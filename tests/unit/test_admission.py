"""Back-pressure on inbound events: a burst waits in line instead of piling on the store."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.web import Admission


async def test_at_most_the_limit_of_events_run_at_once_and_all_are_answered() -> None:
    running, peak = 0, 0
    admission = Admission(limit=4)

    async def event(request: web.Request) -> web.Response:
        nonlocal running, peak
        await admission.read_body(request)
        async with admission.slot():
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            running -= 1
        return web.json_response({})

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"running": running})

    app = web.Application()
    app.router.add_post("/event", event)
    app.router.add_get("/healthz", health)
    async with TestClient(TestServer(app)) as client:
        burst = [asyncio.create_task(client.post("/event", data=b"{}")) for _ in range(40)]
        await asyncio.sleep(0.005)
        probe = await client.get("/healthz")  # not queued behind the burst
        assert probe.status == 200 and (await probe.json())["running"] > 0
        answers = await asyncio.gather(*burst)
    assert [r.status for r in answers] == [200] * 40
    assert peak == 4
