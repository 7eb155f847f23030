"""One cProfile of a short inbound run inside the real bot process (``bench.profiled_bot``).

The bot's own CPU time (``/proc/<pid>/stat``, every thread) is measured alongside, so the
profile says where the event-loop thread spends it and the CPU figure says whether the
process is CPU-bound at all.
"""

from __future__ import annotations

import asyncio
import os
import pstats
import signal
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp

from bench import procs
from bench.load import Traffic, arrived, closed_loop
from bench.platforms import TimedSlack, TimedTelegram

AREAS = (("/bot/", "bot core"), ("/storage/", "bot storage"), ("/handlers/", "bot handlers"),
         ("sqlite3", "sqlite3"), ("slack_bolt", "slack_bolt"),
         ("slack_sdk", "slack_sdk"), ("aiogram", "aiogram"), ("pydantic", "pydantic"),
         ("aiohttp", "aiohttp"), ("multidict", "aiohttp"), ("yarl", "aiohttp"),
         ("jinja2", "jinja2"), ("prometheus_client", "prometheus"), ("asyncio", "asyncio"),
         ("selectors", "asyncio"), ("json", "json"))
# The leaves that say what the loop waits on, and the SQLite calls themselves.
NAMED_BUILTINS = {"poll' of 'select.epoll": "idle (epoll wait)",
                  "of 'sqlite3.Connection": "sqlite3 (statements, commits)"}


def area(filename: str, func: str) -> str:
    for needle, name in NAMED_BUILTINS.items():
        if needle in func:
            return name
    for needle, name in AREAS:
        if needle in filename:
            return name
    return "builtins" if filename == "~" else "other"


def cpu_seconds(pid: int) -> float:
    """User + system CPU of every thread of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def profile_inbound(workdir: Path, messages: int, conversations: int = 50) -> dict[str, Any]:
    path = workdir / "bot.prof"
    async with TimedSlack() as slack, TimedTelegram() as tg, procs.bot(
            slack, tg, workdir, f"sqlite:///{workdir / 'profile.sqlite3'}",
            module=("bench.profiled_bot", str(path))) as bot, aiohttp.ClientSession() as session:
        traffic = Traffic(session=session, base=bot.base, slack=slack, tg=tg)
        warm = [traffic.next_seq() for _ in range(conversations)]
        await closed_loop(warm, lambda s: traffic.customer_says(s % conversations, s), 64)
        await arrived(slack.arrivals, warm, timeout=60)
        seqs = [traffic.next_seq() for _ in range(messages)]
        cpu, start = cpu_seconds(bot.proc.pid), time.monotonic()
        bot.proc.send_signal(signal.SIGUSR1)
        await closed_loop(seqs, lambda s: traffic.customer_says(s % conversations, s), 64)
        await arrived(slack.arrivals, seqs, timeout=120)
        bot.proc.send_signal(signal.SIGUSR2)
        elapsed, cpu = time.monotonic() - start, cpu_seconds(bot.proc.pid) - cpu
        while not path.exists():
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # the dump is written by the bot's loop
    return summarize(pstats.Stats(str(path)), messages, elapsed, cpu)


def summarize(stats: pstats.Stats, messages: int, elapsed: float,
              cpu: float) -> dict[str, Any]:
    by_area: dict[str, float] = defaultdict(float)
    rows = []
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    for (filename, line, func), (_, calls, tottime, cumtime, _) in raw.items():
        by_area[area(filename, func)] += tottime
        rows.append((tottime, calls, f"{_short(filename)}:{line}({func})", cumtime))
    total = sum(by_area.values())
    rows.sort(reverse=True)
    return {
        "messages": messages, "seconds": elapsed, "msg_per_s": messages / elapsed,
        "bot_cpu_seconds": cpu, "bot_cpu_ms_per_message": 1000 * cpu / messages,
        "bot_cpu_share_of_wall": cpu / elapsed,
        "loop_seconds_profiled": total,
        "by_area_pct": {k: round(100 * v / total, 1)
                        for k, v in sorted(by_area.items(), key=lambda kv: -kv[1])},
        "top_functions": [{"function": name, "tottime_s": round(t, 3), "calls": calls,
                           "cumtime_s": round(c, 3)} for t, calls, name, c in rows[:20]],
    }


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename
