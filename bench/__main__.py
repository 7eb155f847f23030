"""``python -m bench [--quick]``: run every measurement, print the tables, write results.json."""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import platform
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp

from bench import procs, report
from bench.load import Traffic
from bench.platforms import TimedSlack, TimedTelegram
from bench.profile import profile_inbound
from bench.ratelimit import rate_limited
from bench.relay import RelayPlan, RelayRun, Target, measure_all
from bench.scale import check_lookups, fill, relay_rss
from storage import create_storage

RESULTS = Path(__file__).with_name("results.json")


@dataclass(frozen=True)
class Plan:
    relay: RelayPlan
    burst_messages: int = 100
    burst_customers: int = 20
    conversations: int = 100_000
    small: int = 100
    lookups: int = 2000
    rss_warm: int = 2000
    rss_measured: int = 8000
    rss_step: int = 2000
    profile_messages: int = 1000


PLANS = {
    "full": Plan(relay=RelayPlan(reverse_conversations=300, reverse_messages=600)),
    "quick": Plan(relay=RelayPlan(conversations=10, messages=200, rates=(50,), seconds=2,
                                  reverse_conversations=30, reverse_messages=60,
                                  drain_timeout=30, repeats=1),
                  burst_messages=8, burst_customers=4, conversations=2000, lookups=200,
                  rss_warm=200, rss_measured=400, rss_step=200, profile_messages=200),
}


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo
                  if line.startswith("model name")), platform.processor())
    meminfo = Path("/proc/meminfo").read_text().split()
    return {"cpu": model, "cores": os.cpu_count(), "memory_gib":
            round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024 ** 2, 1),
            "python": platform.python_version(), "kernel": platform.release(),
            "date": datetime.now(UTC).isoformat(timespec="seconds")}


async def relay_targets(plan: Plan, workdir: Path, redis: str) -> dict[str, Any]:
    """The floor and the bot on each store, all running at once (each with fakes of its
    own) so that their throughput runs can take turns."""
    seq = itertools.count(1)
    urls = {"floor": None, "sqlite": f"sqlite:///{workdir / 'relay.sqlite3'}",
            "redis": f"{redis}/1"}
    async with AsyncExitStack() as stack:
        targets = []
        for n, (name, url) in enumerate(urls.items()):
            slack = await stack.enter_async_context(TimedSlack())
            tg = await stack.enter_async_context(TimedTelegram())
            served = await stack.enter_async_context(
                procs.floor(slack, tg, workdir) if url is None
                else procs.bot(slack, tg, workdir, url))
            session = await stack.enter_async_context(
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1024)))
            traffic = Traffic(session=session, base=served.base, slack=slack, tg=tg, seq=seq)
            run = RelayRun(traffic, plan.relay, first_chat=1_000_000 * (n + 1))
            targets.append(Target(name, run, rss=partial(procs.rss_kib, served.proc.pid),
                                  result={}))
        return await measure_all(targets, plan.relay)


async def scale_backend(kind: str, plan: Plan, workdir: Path, redis: str) -> dict[str, Any]:
    url = (f"sqlite:///{workdir / 'scale.sqlite3'}" if kind == "sqlite" else f"{redis}/2")
    small_url = (f"sqlite:///{workdir / 'small.sqlite3'}" if kind == "sqlite" else f"{redis}/3")
    result: dict[str, Any] = {}
    for label, where, count in (("small", small_url, plan.small),
                                ("large", url, plan.conversations)):
        store = await create_storage(where)
        try:
            result[f"fill_{label}"] = await fill(store, count, kind)
            result[f"lookups_{label}"] = await check_lookups(store, count, plan.lookups)
        finally:
            await store.close()
    async with TimedSlack() as slack, TimedTelegram() as tg, \
            procs.bot(slack, tg, workdir, url) as bot, aiohttp.ClientSession() as session:
        traffic = Traffic(session=session, base=bot.base, slack=slack, tg=tg)
        result["rss"] = await relay_rss(bot, traffic, warm=plan.rss_warm,
                                        measured=plan.rss_measured, step=plan.rss_step)
    print(f"  scale {kind}: done", flush=True)
    return result


async def run(plan: Plan, workdir: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine(), "plan": asdict(plan)}
    started = time.monotonic()
    # The load generator and the fake platforms share this process: its cyclic collector
    # walking their growing records paused them for tens of milliseconds, charged to the
    # target's latency (the floor's too). It runs between timed runs instead (settle()).
    gc.disable()
    with procs.redis(workdir) as redis:
        print("relay: floor, bot on SQLite, bot on Redis", flush=True)
        results["relay"] = await relay_targets(plan, workdir, redis)
        print("rate-limited Slack", flush=True)
        results["rate_limited"] = await rate_limited(
            workdir, messages=plan.burst_messages, customers=plan.burst_customers)
        print(f"memory and scale ({plan.conversations:,} conversations)", flush=True)
        results["scale"] = {kind: await scale_backend(kind, plan, workdir, redis)
                            for kind in ("sqlite", "redis")}
    print("profile (cProfile in the bot process)", flush=True)
    results["profile"] = await profile_inbound(workdir, plan.profile_messages)
    results["seconds"] = time.monotonic() - started
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a ~1 minute smoke run")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        results = asyncio.run(run(PLANS[mode], Path(workdir)))
    results["mode"] = mode
    args.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(report.render(results))
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
