"""Traffic: customers' webhook posts and operators' signed Slack events, closed or open loop."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bench.platforms import TimedSlack, TimedTelegram, in_token, out_token
from tests.fakes import tg_updates
from tests.scenarios.harness import CHANNEL, OPERATOR, SIGNING_SECRET, WEBHOOK_SECRET

Send = Callable[[int], Awaitable[None]]
_SIGNER = SignatureVerifier(SIGNING_SECRET)
RESENDS = 10


@dataclass(frozen=True)
class Lane:
    """One inbox of the target: its Telegram bot's webhook and the Slack channel it posts to."""

    name: str
    webhook_path: str
    webhook_secret: str
    channel: str


#: the inbox the environment describes (no inbox file), and the floor's
DEFAULT_LANES = (Lane("default", "/telegram/webhook", WEBHOOK_SECRET, CHANNEL),)


def inbox_lanes(count: int) -> tuple[Lane, ...]:
    """``count`` inboxes named ``in1``, ``in2``…, each with a channel of its own."""
    return tuple(Lane(f"in{n}", f"/telegram/in{n}/webhook", f"secret-in{n}", f"CBENCH{n}")
                 for n in range(1, count + 1))


#: a Slack thread: its channel and its ts
Thread = tuple[str, str]


@dataclass
class Traffic:
    """Talks to one target (the bot or the floor) and remembers when each message left.

    Sequence numbers are unique for the whole benchmark, so they double as Telegram
    message ids, update ids and Slack event ids. Chats are spread over the ``lanes``
    (inboxes) by chat id.
    """

    session: aiohttp.ClientSession
    base: str
    slack: TimedSlack
    tg: TimedTelegram
    seq: Iterable[int] = field(default_factory=lambda: itertools.count(1))
    sent: dict[int, float] = field(default_factory=dict)
    errors: int = 0
    lanes: tuple[Lane, ...] = DEFAULT_LANES

    def lane_of(self, chat: int) -> Lane:
        return self.lanes[chat % len(self.lanes)]

    def next_seq(self) -> int:
        return next(iter(self.seq))

    async def customer_says(self, chat: int, seq: int, *, at: float | None = None,
                            text: str = "hello") -> None:
        update = tg_updates.text_message(chat, f"{text} {in_token(seq)}", message_id=seq,
                                         update_id=seq, first_name=f"C{chat}")
        lane = self.lane_of(chat)
        self.sent[seq] = at if at is not None else time.monotonic()
        await self._post(lane.webhook_path, json.dumps(update).encode(),
                         {"Content-Type": "application/json",
                          "X-Telegram-Bot-Api-Secret-Token": lane.webhook_secret})

    async def operator_says(self, thread: Thread, seq: int, *, at: float | None = None) -> None:
        channel, thread_ts = thread
        text = f"answer {out_token(seq)}"
        stored = self.slack.store_message(channel, text=text, thread_ts=thread_ts,
                                          user=OPERATOR, bot_id=None, app_id=None)
        event = {"type": "message", "channel": channel, "user": OPERATOR, "text": text,
                 "ts": stored["ts"], "thread_ts": thread_ts, "event_ts": stored["ts"],
                 "channel_type": "channel"}
        body = json.dumps({"token": "legacy", "team_id": "T0001", "api_app_id": "A0001",
                           "type": "event_callback", "event": event, "event_id": f"Ev{seq}",
                           "event_time": int(time.time())})
        ts = str(int(time.time()))
        headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
                   "X-Slack-Signature": _SIGNER.generate_signature(timestamp=ts, body=body)}
        self.sent[seq] = at if at is not None else time.monotonic()
        await self._post("/slack/events", body.encode(), headers)

    async def _post(self, path: str, body: bytes, headers: dict[str, str]) -> None:
        """Resend until a 200, as Telegram and Slack do (a few times), counting failures."""
        for _ in range(RESENDS):
            try:
                async with self.session.post(self.base + path, data=body,
                                             headers=headers) as response:
                    await response.read()
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            self.errors += 1
            await asyncio.sleep(0.2)


async def closed_loop(seqs: list[int], send: Send, concurrency: int) -> float:
    """Send every seq with at most ``concurrency`` in flight; :return: the start time."""
    queue = iter(seqs)
    start = time.monotonic()

    async def worker() -> None:
        for seq in queue:
            await send(seq)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return start


async def open_loop(seqs: list[int], rate: float,
                    send: Callable[[int, float], Awaitable[None]]) -> float:
    """Start ``seqs[i]`` at ``start + i / rate`` whatever the answers (no coordinated
    omission: the intended time is the send time); :return: the achieved offered rate."""
    start = time.monotonic() + 0.05
    tasks: set[asyncio.Task[None]] = set()
    for i, seq in enumerate(seqs):
        due = start + i / rate
        if (delay := due - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(send(seq, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    elapsed = time.monotonic() - start
    await asyncio.gather(*tasks)
    return len(seqs) / elapsed if elapsed > 0 else float("nan")


async def arrived(arrivals: dict[int, float], seqs: Iterable[int], timeout: float) -> int:
    """Wait until every seq arrived (or ``timeout``); :return: how many are missing."""
    wanted = list(seqs)
    deadline = time.monotonic() + timeout
    while (missing := sum(1 for s in wanted if s not in arrivals)) and \
            time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return missing


async def outbox_empty(session: aiohttp.ClientSession, base: str, timeout: float = 60) -> None:
    """Wait until the bot's outbox is empty (the floor has none: returns at once)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with session.get(f"{base}/healthz") as response:
            outbox = (await response.json()).get("outbox")
        if not outbox or outbox["depth"] == 0:
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"the outbox of {base} did not drain in {timeout:g}s")
