"""Relay throughput and latency, both directions, for one target (the bot or the floor)."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.load import Thread, Traffic, arrived, closed_loop, open_loop, outbox_empty
from bench.platforms import IN_TOKEN
from bench.stats import latency_summary, median_run

# The bot holds each Telegram chat to 1 message/s with a burst of 3 (Telegram's own
# limit, ``Rates.per_customer_chat``): replies are spread so no chat goes faster.
REFILL_PAUSE = 3.5
SATURATED_DRAIN = 5.0


@dataclass(frozen=True)
class RelayPlan:
    conversations: int = 50
    messages: int = 2000
    concurrency: int = 64
    rates: tuple[int, ...] = (50, 200, 1000)
    seconds: float = 6.0
    reverse_conversations: int = 1000
    reverse_messages: int = 2000
    drain_timeout: float = 90.0
    #: closed-loop throughput runs per target and direction; the median is reported (one
    #: run's figure moved by up to a third between runs, the floor's most)
    repeats: int = 3


class RelayRun:
    def __init__(self, traffic: Traffic, plan: RelayPlan, first_chat: int) -> None:
        self.t, self.plan = traffic, plan
        self.chats = range(first_chat, first_chat + plan.conversations)
        self.reverse_chats = range(first_chat + 100_000,
                                   first_chat + 100_000 + plan.reverse_conversations)
        self.threads: list[Thread] = []
        self.capacity = {"inbound": 0.0, "outbound": 0.0}

    def seqs(self, n: int) -> list[int]:
        return [self.t.next_seq() for _ in range(n)]

    def burst(self, rate: int, direction: str) -> tuple[list[int], bool]:
        """The messages of one fixed-rate run. Above the measured capacity the backlog
        (and so the latency) grows without bound, and the run is cut to what the target
        drains in about ``SATURATED_DRAIN`` seconds: the figures then show saturation."""
        count = int(rate * self.plan.seconds)
        capacity = self.capacity[direction]
        saturated = capacity > 0 and rate > 1.1 * capacity
        if saturated:
            count = min(count, max(int(capacity * SATURATED_DRAIN), rate))
        return self.seqs(count), saturated

    async def settle(self) -> None:
        await outbox_empty(self.t.session, self.t.base, timeout=self.plan.drain_timeout)
        gc.collect()  # the harness's own garbage, between timed runs (see bench.__main__)

    # -- customer → Slack ------------------------------------------------------------------
    async def open_threads(self, chats: range) -> dict[int, int]:
        """One first message per chat; :return: seq → chat."""
        seqs = self.seqs(len(chats))
        by_seq = dict(zip(seqs, chats, strict=True))
        await closed_loop(seqs, lambda s: self.t.customer_says(by_seq[s], s, text="hi"),
                          self.plan.concurrency)
        await self._landed(self.t.slack.arrivals, seqs)
        await self.settle()
        return by_seq

    async def prepare_inbound(self) -> None:
        await self.open_threads(self.chats)

    async def inbound_latencies(self, throughput: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"throughput": throughput}
        self.capacity["inbound"] = throughput["msg_per_s"]
        for rate in self.plan.rates:
            out[f"latency@{rate}"] = await self._inbound_latency(rate)
        return out

    def _chat_for(self, seq: int) -> int:
        return self.chats[seq % len(self.chats)]

    async def inbound_throughput_once(self) -> dict[str, Any]:
        seqs = self.seqs(self.plan.messages)
        start = await closed_loop(seqs, lambda s: self.t.customer_says(self._chat_for(s), s),
                                  self.plan.concurrency)
        acked = time.monotonic()
        missing = await self._landed(self.t.slack.arrivals, seqs)
        await self.settle()
        return _throughput(seqs, start, acked, self.t.slack.arrivals, missing)

    async def _inbound_latency(self, rate: int) -> dict[str, Any]:
        seqs, saturated = self.burst(rate, "inbound")
        offered = await open_loop(
            seqs, rate, lambda s, at: self.t.customer_says(self._chat_for(s), s, at=at))
        missing = await self._landed(self.t.slack.arrivals, seqs)
        await self.settle()
        return _latency(seqs, self.t.sent, self.t.slack.arrivals, offered, missing, saturated)

    # -- Slack → customer ------------------------------------------------------------------
    async def prepare_outbound(self) -> None:
        opened = await self.open_threads(self.reverse_chats)
        self.threads = self._thread_of(opened)
        warm = self.seqs(len(self.threads))  # the first reply also accepts the conversation
        await closed_loop(warm, lambda s: self.t.operator_says(self._thread_for(s), s),
                          self.plan.concurrency)
        await self._landed(self.t.tg.arrivals, warm)
        await self.settle()

    async def outbound_latencies(self, throughput: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"throughput": throughput}
        self.capacity["outbound"] = throughput["msg_per_s"]
        for rate in self.plan.rates:
            out[f"latency@{rate}"] = await self._outbound_latency(rate)
        return out

    def _thread_of(self, opened: dict[int, int]) -> list[Thread]:
        threads: dict[int, Thread] = {}
        for channel in {lane.channel for lane in self.t.lanes}:
            for message in self.t.slack.messages[channel]:
                for seq in map(int, IN_TOKEN.findall(message["text"])):
                    if seq in opened and message.get("thread_ts"):
                        threads[opened[seq]] = (channel, message["thread_ts"])
        if len(threads) != len(opened):
            raise RuntimeError(f"only {len(threads)} of {len(opened)} threads were opened")
        return [threads[chat] for chat in sorted(threads)]

    def _thread_for(self, seq: int) -> Thread:
        return self.threads[seq % len(self.threads)]

    async def outbound_throughput_once(self) -> dict[str, Any]:
        await asyncio.sleep(REFILL_PAUSE)
        seqs = self.seqs(min(self.plan.reverse_messages, 2 * len(self.threads)))
        start = await closed_loop(seqs, lambda s: self.t.operator_says(self._thread_for(s), s),
                                  self.plan.concurrency)
        acked = time.monotonic()
        missing = await self._landed(self.t.tg.arrivals, seqs)
        await self.settle()
        return _throughput(seqs, start, acked, self.t.tg.arrivals, missing)

    async def _outbound_latency(self, rate: int) -> dict[str, Any]:
        await asyncio.sleep(REFILL_PAUSE)
        seqs, saturated = self.burst(rate, "outbound")
        offered = await open_loop(
            seqs, rate, lambda s, at: self.t.operator_says(self._thread_for(s), s, at=at))
        missing = await self._landed(self.t.tg.arrivals, seqs)
        await self.settle()
        return _latency(seqs, self.t.sent, self.t.tg.arrivals, offered, missing, saturated)

    async def _landed(self, arrivals: dict[int, float], seqs: list[int]) -> int:
        return await arrived(arrivals, seqs, timeout=self.plan.drain_timeout)


def _throughput(seqs: list[int], start: float, acked: float, arrivals: dict[int, float],
                missing: int) -> dict[str, Any]:
    last = max((arrivals[s] for s in seqs if s in arrivals), default=float("nan"))
    return {"messages": len(seqs), "msg_per_s": (len(seqs) - missing) / (last - start),
            "acked_per_s": len(seqs) / (acked - start), "missing": missing}


def _latency(seqs: list[int], sent: dict[int, float], arrivals: dict[int, float],
             offered: float, missing: int, saturated: bool) -> dict[str, Any]:
    samples = [arrivals[s] - sent[s] for s in seqs if s in arrivals]
    return {"offered_per_s": offered, "seconds": len(seqs) / offered, "saturated": saturated,
            "missing": missing, **latency_summary(samples)}


@dataclass
class Target:
    """One target of the relay runs: its fakes, its traffic and its figures so far."""

    name: str
    run: RelayRun
    rss: Callable[[], int]
    result: dict[str, Any]


async def _throughputs(targets: list[Target], once: Callable[[RelayRun], Any],
                       repeats: int) -> dict[str, dict[str, Any]]:
    """``repeats`` closed-loop runs of every target, interleaved (floor, SQLite, Redis,
    floor, …): the machine's slower minutes then weigh on every target alike, where
    back-to-back runs of one target let a slow minute decide its ratio to the floor
    (one target's figure moved by up to a third between runs, the floor's most)."""
    runs: dict[str, list[dict[str, Any]]] = {t.name: [] for t in targets}
    for _ in range(repeats):
        for target in targets:
            runs[target.name].append(await once(target.run))
    return {name: median_run(figures) for name, figures in runs.items()}


async def measure_all(targets: list[Target], plan: RelayPlan) -> dict[str, Any]:
    """Inbound then outbound figures of every target; the throughput runs interleaved."""
    started = time.monotonic()
    for target in targets:
        target.result["rss_kib"] = {"start": target.rss()}
        await target.run.prepare_inbound()
    inbound = await _throughputs(targets, RelayRun.inbound_throughput_once, plan.repeats)
    for target in targets:
        target.result["inbound"] = await target.run.inbound_latencies(inbound[target.name])
        await target.run.prepare_outbound()
    outbound = await _throughputs(targets, RelayRun.outbound_throughput_once, plan.repeats)
    for target in targets:
        target.result["outbound"] = await target.run.outbound_latencies(outbound[target.name])
        traffic = target.run.t
        target.result["rss_kib"]["end"] = target.rss()
        target.result["errors"] = traffic.errors
        target.result["slack_messages"] = {channel: len(traffic.slack.messages[channel])
                                           for channel in traffic.slack.messages}
        target.result["duplicates"] = {"slack": traffic.slack.duplicates,
                                       "telegram": traffic.tg.duplicates}
    print(f"  relay: done in {time.monotonic() - started:.0f}s", flush=True)
    return {target.name: target.result for target in targets}
