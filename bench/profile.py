"""One cProfile of a short inbound run, in-process (``build_app`` on an aiohttp server).

The fakes and the load generator share the process, so the profile is split by where the
code lives: time in the fakes and in the benchmark is reported apart from the bot's.
"""

from __future__ import annotations

import cProfile
import itertools
import pstats
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from bench.load import Traffic, arrived, closed_loop
from bench.platforms import TimedSlack, TimedTelegram
from bot.app import build_app
from bot.config import Settings
from tests.scenarios.harness import desk_env

from bench.procs import UNLIMITED

AREAS = (("bench/", "benchmark driver"), ("tests/fakes/", "fake Slack/Telegram"),
         ("/bot/", "bot core"), ("/storage/", "bot storage"), ("/handlers/", "bot handlers"),
         ("aiosqlite", "aiosqlite"), ("sqlite3", "sqlite3"), ("slack_bolt", "slack_bolt"),
         ("slack_sdk", "slack_sdk"), ("aiogram", "aiogram"), ("pydantic", "pydantic"),
         ("aiohttp", "aiohttp"), ("jinja2", "jinja2"), ("prometheus_client", "prometheus"),
         ("asyncio", "asyncio"), ("json", "json"))


def area(filename: str) -> str:
    for needle, name in AREAS:
        if needle in filename:
            return name
    return "other" if filename != "~" else "builtins"


async def profile_inbound(workdir: Path, messages: int, conversations: int = 50) -> dict[str, Any]:
    async with TimedSlack() as slack, TimedTelegram() as tg:
        env = desk_env(slack, tg, STORAGE_URL=f"sqlite:///{workdir / 'profile.sqlite3'}",
                       LOG_LEVEL="WARNING", **UNLIMITED)
        app = await build_app(Settings.from_env(env))
        server = TestServer(app.web, host="127.0.0.1")
        await server.start_server()
        await app.start()
        try:
            async with aiohttp.ClientSession() as session:
                traffic = Traffic(session=session, base=str(server.make_url("")).rstrip("/"),
                                  slack=slack, tg=tg, seq=itertools.count(1))
                seqs = list(range(1, messages + 1))
                chat = {s: 900 + s % conversations for s in seqs}
                profiler = cProfile.Profile()
                start = time.monotonic()
                profiler.enable()
                await closed_loop(seqs, lambda s: traffic.customer_says(chat[s], s), 64)
                await arrived(slack.arrivals, seqs, timeout=120)
                profiler.disable()
                elapsed = time.monotonic() - start
        finally:
            await server.close()
            await app.stop()
    return summarize(pstats.Stats(profiler), messages, elapsed)


def summarize(stats: pstats.Stats, messages: int, elapsed: float) -> dict[str, Any]:
    by_area: dict[str, float] = defaultdict(float)
    rows = []
    for (filename, line, func), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        by_area[area(filename)] += tottime
        rows.append((tottime, calls, f"{_short(filename)}:{line}({func})", cumtime))
    total = sum(by_area.values())
    rows.sort(reverse=True)
    return {
        "messages": messages, "seconds": elapsed, "msg_per_s": messages / elapsed,
        "cpu_seconds_profiled": total,
        "by_area_pct": {k: round(100 * v / total, 1)
                        for k, v in sorted(by_area.items(), key=lambda kv: -kv[1])},
        "top_functions": [{"function": name, "tottime_s": round(t, 3), "calls": calls,
                           "cumtime_s": round(c, 3)} for t, calls, name, c in rows[:25]],
    }


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename
