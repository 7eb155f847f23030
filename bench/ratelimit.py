"""Slack enforcing one post per second per channel, the bot at its default limits."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench import procs
from bench.load import Traffic, arrived, outbox_empty
from bench.platforms import TimedSlack, TimedTelegram


async def rate_limited(workdir: Path, *, messages: int, customers: int) -> dict[str, Any]:
    """A burst of ``messages`` from ``customers`` (each customer's in order); :return: the
    time until all are visible, the posts used and the 429s Slack answered."""
    async with TimedSlack() as slack, TimedTelegram() as tg:
        slack.limit_post_rate(1.0, burst=1)
        url = f"sqlite:///{workdir / 'ratelimit.sqlite3'}"
        async with procs.bot(slack, tg, workdir, url, SLACK_POST_RATE="1",
                             SLACK_POST_BURST="4") as bot, aiohttp.ClientSession() as session:
            traffic = Traffic(session=session, base=bot.base, slack=slack, tg=tg)
            per = messages // customers
            plan = {c: [traffic.next_seq() for _ in range(per)] for c in range(customers)}

            async def customer(chat: int) -> None:
                for seq in plan[chat]:
                    await traffic.customer_says(80_000_000 + chat, seq)

            start = time.monotonic()
            await asyncio.gather(*(customer(c) for c in plan))
            acked = time.monotonic() - start
            seqs = [s for seqs in plan.values() for s in seqs]
            missing = await arrived(slack.arrivals, seqs, timeout=4 * len(seqs) + 60)
            visible = time.monotonic() - start
            await outbox_empty(session, bot.base)
    posts = len(slack.calls_to("chat.postMessage"))
    return {"messages": len(seqs), "customers": customers, "acked_s": acked,
            "all_visible_s": visible, "missing": missing, "posts": posts,
            "ideal_s": posts / 1.0, "attempts": slack.attempts["chat.postMessage"],
            "rate_limited_429": slack.rate_limited, "errors": traffic.errors}
