"""``python -m bench [--quick]``: run every measurement, print the tables, write results.json."""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp

from bench import procs, report
from bench.load import DEFAULT_LANES, Traffic, inbox_lanes
from bench.platforms import TimedSlack, TimedTelegram
from bench.profile import profile_inbound
from bench.ratelimit import rate_limited
from bench.relay import RelayPlan, RelayRun, Target, measure_all
from bench.scale import check_lookups, fill, relay_rss
from storage import create_storage

RESULTS = Path(__file__).with_name("results.json")
COMPARED = Path(__file__).with_name("compare.json")
ROOT = Path(__file__).resolve().parents[1]


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


@dataclass(frozen=True)
class Spec:
    """A relay target: the floor (``store`` None) or the bot on ``store`` ("sqlite" or
    "redis"); ``inboxes``: 0 for the one inbox the environment describes, else an inbox
    file with that many; ``root``: the checkout whose bot runs (None: this one)."""

    name: str
    store: str | None
    inboxes: int = 0
    root: Path | None = None


TARGETS = (Spec("floor", None), Spec("sqlite", "sqlite"), Spec("redis", "redis"),
           Spec("sqlite, 2 inboxes", "sqlite", inboxes=2),
           Spec("redis, 2 inboxes", "redis", inboxes=2))


def compare_targets(rev: str, root: Path) -> tuple[Spec, ...]:
    """The floor, then each store's old and new bot side by side (their runs take turns)."""
    return (Spec("floor", None),
            *(Spec(name, store, root=where)
              for store in ("sqlite", "redis")
              for name, where in ((f"{store} @ {rev}", root), (store, None))))


def store_url(spec: Spec, n: int, workdir: Path, redis: str) -> str:
    """A store of the target's own (target ``n`` of the run)."""
    if spec.store == "sqlite":
        return f"sqlite:///{workdir / f'relay-{n}.sqlite3'}"
    return f"{redis}/{8 + n}"  # 2 and 3 are the scale runs'


def bot_extra(spec: Spec, n: int, workdir: Path) -> tuple[dict[str, str], tuple[str, ...]]:
    """The target's extra variables, and the bots' tokens its fake Telegram serves."""
    extra = {"PYTHONPATH": str(spec.root)} if spec.root else {}
    if not spec.inboxes:
        return extra, ()
    tokens = tuple(f"{900 + i}:BENCH" for i in range(spec.inboxes))
    lanes = inbox_lanes(spec.inboxes)
    return {**extra, **procs.inboxes_env(workdir / f"inboxes-{n}.toml", lanes, tokens)}, tokens


async def relay_targets(plan: Plan, workdir: Path, redis: str,
                        specs: tuple[Spec, ...] = TARGETS) -> dict[str, Any]:
    """The floor and the bots, all running at once (each with fakes of its own) so that
    their throughput runs can take turns."""
    seq = itertools.count(1)
    async with AsyncExitStack() as stack:
        targets = []
        for n, spec in enumerate(specs):
            extra, tokens = bot_extra(spec, n, workdir)
            slack = await stack.enter_async_context(TimedSlack())
            tg = await stack.enter_async_context(TimedTelegram(tokens))
            served = await stack.enter_async_context(
                procs.floor(slack, tg, workdir) if spec.store is None
                else procs.bot(slack, tg, workdir, store_url(spec, n, workdir, redis),
                               **extra))
            session = await stack.enter_async_context(
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1024)))
            traffic = Traffic(session=session, base=served.base, slack=slack, tg=tg, seq=seq,
                              lanes=inbox_lanes(spec.inboxes) if spec.inboxes else DEFAULT_LANES)
            run = RelayRun(traffic, plan.relay, first_chat=1_000_000 * (n + 1))
            targets.append(Target(spec.name, run, rss=partial(procs.rss_kib, served.proc.pid),
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


@contextmanager
def checkout(rev: str, workdir: Path) -> Iterator[tuple[str, Path]]:
    """``rev`` checked out (detached) in a worktree of its own; :return: its short id and
    where it is. The worktree is removed afterwards."""
    short = _git("rev-parse", "--short", f"{rev}^{{commit}}").strip()
    where = workdir / f"old-{short}"
    _git("worktree", "add", "--detach", "--quiet", str(where), short)
    try:
        yield short, where
    finally:
        _git("worktree", "remove", "--force", str(where))


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout


async def compare(plan: Plan, workdir: Path, rev: str) -> dict[str, Any]:
    """The relay runs of the bot at ``rev`` and of this one, next to one floor."""
    results: dict[str, Any] = {"machine": machine(), "plan": asdict(plan)}
    started = time.monotonic()
    gc.disable()  # see run()
    with procs.redis(workdir) as redis, checkout(rev, workdir) as (short, root):
        print(f"relay: floor, bot @ {short} and this bot, on SQLite and Redis", flush=True)
        results["compare"] = {"rev": short, "relay": await relay_targets(
            plan, workdir, redis, compare_targets(short, root))}
    results["seconds"] = time.monotonic() - started
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a ~1 minute smoke run")
    parser.add_argument("--compare", metavar="REV",
                        help="only the relay runs: the bot at git revision REV against this "
                             "one, each as a ratio to the floor (results: compare.json)")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    output = args.output or (COMPARED if args.compare else RESULTS)
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        results = asyncio.run(compare(PLANS[mode], Path(workdir), args.compare) if args.compare
                              else run(PLANS[mode], Path(workdir)))
    results["mode"] = mode
    output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(report.render_compare(results) if args.compare else report.render(results))
    print(f"\nwritten to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
