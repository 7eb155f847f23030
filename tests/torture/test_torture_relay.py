"""2,000 customer messages over 100 conversations through the real bot process (SQLite),
while both fakes inject 429s, 5xx, delays, dropped connections and lost answers, and the
process is SIGKILLed and restarted three times: nothing is lost, each conversation keeps
one thread and its order, and every duplicate has a documented cause.

The documented window (the outbox runs jobs *at least once*): a job whose call reached the
platform is run again when its completion was not recorded, either because the answer was
lost on the way back, or because the process died between the call and the store write
(the job then waits for its 60 s lease to run out; that wait sets this test's length).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import signal
import sqlite3
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
from slack_sdk.signature import SignatureVerifier

from tests.fakes import tg_updates as tg
from tests.scenarios.harness import (
    CHANNEL,
    OPERATOR,
    SIGNING_SECRET,
    WEBHOOK_SECRET,
    desk_env,
)
from tests.support.bot_process import start_process
from tests.support.redis_server import free_port
from tests.torture.ledger import LedgerSlack, LedgerTelegram, explain_duplicates

CONVERSATIONS = 100
PER_CONVERSATION = 20
KILL_AFTER_ACKED = (100, 250, 400)  # early, so the last lease runs out within the budget
REPLY_CHATS = 20
REPLIES = 3
CHAOS_KINDS = ("429", "500", "503", "drop", "lost", "delay")
DRAIN_TIMEOUT = 80.0
TEXT = re.compile(r"c(\d+) m(\d+)")
REPLY = re.compile(r"reply c(\d+) r(\d+)")


class Bot:
    """The real ``python -m bot``, restartable, SIGKILLed on demand."""

    def __init__(self, env: dict[str, str], cwd: Path, db: Path) -> None:
        self.env = env
        self.cwd, self.db = cwd, db
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills: list[float] = []
        self.held_at_kill: list[set[int]] = []

    def start(self) -> None:
        self.proc = start_process(self.env, self.cwd)

    def kill_and_restart(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.kills.append(time.monotonic())
        self.held_at_kill.append(self._running_jobs())
        self.start()

    def _running_jobs(self) -> set[int]:
        """Jobs the dead process held (a job held at two kills, its lease not yet run out,
        is one job): the most that can be done twice because of the kills."""
        with sqlite3.connect(self.db) as conn:
            return {row[0] for row in conn.execute(
                "SELECT id FROM outbox WHERE state = 'running'")}

    @property
    def jobs_held(self) -> int:
        return len(set().union(*self.held_at_kill))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Customers:
    """Telegram's side: resend each update until it gets a 200, one chat in order."""

    def __init__(self, session: aiohttp.ClientSession, base: str, bot: Bot) -> None:
        self.session, self.base, self.bot = session, base, bot
        self.acked = 0
        self.failed_posts = 0
        self._kills = iter(KILL_AFTER_ACKED)
        self._next_kill = next(self._kills)
        self._ids = itertools.count(1)

    async def post_until_ok(self, path: str, body: bytes, headers: dict[str, str]) -> None:
        while True:
            try:
                async with self.session.post(self.base + path, data=body,
                                             headers=headers) as response:
                    if response.status == 200:
                        return
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            self.failed_posts += 1
            await asyncio.sleep(0.1)

    async def chat(self, chat_id: int) -> None:
        headers = {"Content-Type": "application/json",
                   "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        for n in range(PER_CONVERSATION):
            seq = next(self._ids)
            update = tg.text_message(chat_id, f"c{chat_id} m{n:02d}", message_id=seq,
                                     update_id=seq)
            await self.post_until_ok("/telegram/webhook", json.dumps(update).encode(), headers)
            self.acked += 1
            if self.acked == self._next_kill:
                self.bot.kill_and_restart()
                self._next_kill = next(self._kills, -1)


class Operators:
    """Slack's side: signed thread replies, redelivered (retry number up) until a 200."""

    def __init__(self, customers: Customers, slack: LedgerSlack) -> None:
        self.customers, self.slack = customers, slack
        self._signer = SignatureVerifier(SIGNING_SECRET)

    async def thread_of(self, chat_id: int) -> str:
        while True:
            for message in self.slack.messages[CHANNEL]:
                if message["text"] == f"c{chat_id} m00" and message.get("thread_ts"):
                    return str(message["thread_ts"])
            await asyncio.sleep(0.1)

    async def answer(self, chat_id: int) -> None:
        thread_ts = await self.thread_of(chat_id)
        for k in range(REPLIES):
            text = f"reply c{chat_id} r{k}"
            stored = self.slack.store_message(CHANNEL, text=text, thread_ts=thread_ts,
                                              user=OPERATOR, bot_id=None, app_id=None)
            await self._deliver(stored["ts"], thread_ts, text)
            await asyncio.sleep(0.3)

    async def _deliver(self, ts: str, thread_ts: str, text: str) -> None:
        event = {"type": "message", "channel": CHANNEL, "user": OPERATOR, "text": text,
                 "ts": ts, "thread_ts": thread_ts, "event_ts": ts, "channel_type": "channel"}
        body = json.dumps({"type": "event_callback", "team_id": "T0001", "event": event,
                           "event_id": f"Ev{ts.replace('.', '')}", "event_time": int(time.time())})
        for retry in itertools.count():
            stamp = str(int(time.time()))
            headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                       "X-Slack-Signature": self._signer.generate_signature(
                           timestamp=stamp, body=body)}
            if retry:
                headers.update({"X-Slack-Retry-Num": str(retry),
                                "X-Slack-Retry-Reason": "http_error"})
            try:
                async with self.customers.session.post(
                        self.customers.base + "/slack/events", data=body.encode(),
                        headers=headers) as response:
                    if response.status == 200:
                        return
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(0.05)


async def drained(session: aiohttp.ClientSession, base: str, done: Any) -> None:
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while time.monotonic() < deadline:
        try:
            async with session.get(f"{base}/healthz") as response:
                body = await response.json()
            if response.status == 200 and body["outbox"]["depth"] == 0 and done():
                return
        except (aiohttp.ClientError, asyncio.TimeoutError, KeyError):
            pass
        await asyncio.sleep(0.2)
    raise AssertionError("the outbox did not drain in time")


def collapse(items: list[str]) -> tuple[list[str], int]:
    """Drop consecutive repeats (a re-run job repeats its post right away, before any
    later job of the conversation); :return: the sequence and how many were dropped."""
    out = [item for i, item in enumerate(items) if i == 0 or items[i - 1] != item]
    return out, len(items) - len(out)


def threads_by_chat(slack: LedgerSlack) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    for message in slack.messages[CHANNEL]:
        if (match := TEXT.fullmatch(message["text"])) and message.get("thread_ts"):
            found[int(match[1])].add(str(message["thread_ts"]))
    return found


def slack_texts(slack: LedgerSlack, thread_ts: str) -> list[str]:
    return [m["text"] for m in slack.thread(CHANNEL, thread_ts)[1:]
            if TEXT.fullmatch(m["text"])]


def chats() -> Iterator[int]:
    return iter(range(7_000_001, 7_000_001 + CONVERSATIONS))


async def test_burst_with_chaos_and_three_sigkills_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "torture.sqlite3"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with LedgerSlack() as slack, LedgerTelegram() as telegram:
        slack.add_user(OPERATOR, real_name="Sam Porter", display_name="sam", first_name="Sam")
        # a short lease: a killed process's jobs come back in seconds (calls here take < 1 s)
        env = desk_env(slack, telegram, HOST="127.0.0.1", PORT=str(port),
                       STORAGE_URL=f"sqlite:///{db}", LOG_LEVEL="ERROR",
                       OUTBOX_LEASE_SECONDS="5")
        bot = Bot(env, tmp_path, db)
        slack.chaos(seed=20251, rate=0.1, kinds=CHAOS_KINDS, delay=0.5)
        telegram.chaos(seed=20252, rate=0.1, kinds=CHAOS_KINDS, delay=0.5)
        bot.start()
        try:
            timeout = aiohttp.ClientTimeout(total=10)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                customers = Customers(session, base, bot)
                operators = Operators(customers, slack)
                reply_chats = list(chats())[:REPLY_CHATS]
                await asyncio.gather(*(customers.chat(c) for c in chats()),
                                     *(operators.answer(c) for c in reply_chats))
                assert len(bot.kills) == len(KILL_AFTER_ACKED)
                slack.calm()
                telegram.calm()
                await drained(session, base, lambda: all(
                    len(threads_by_chat(slack).get(c, ())) == 1 for c in chats()))
        finally:
            bot.stop()

        # every message reached its one thread, in order
        threads = threads_by_chat(slack)
        repeated_posts = 0
        for chat_id in chats():
            (thread_ts,) = threads[chat_id]
            texts, repeats = collapse(slack_texts(slack, thread_ts))
            assert texts == [f"c{chat_id} m{n:02d}" for n in range(PER_CONVERSATION)], chat_id
            repeated_posts += repeats
        # roots beyond one per conversation are cards re-posted by a re-run job
        extra_roots = len(slack.roots(CHANNEL)) - CONVERSATIONS

        # the operators' replies reached their customers, in order
        repeated_replies = 0
        for chat_id in reply_chats:
            replies = [t for t in telegram.texts(chat_id) if REPLY.search(t)]
            texts, repeats = collapse([REPLY.search(t)[0] for t in replies])  # type: ignore[index]
            assert texts == [f"reply c{chat_id} r{k}" for k in range(REPLIES)], chat_id
            repeated_replies += repeats

    # Every repeat is explained: an earlier copy whose answer was lost, or a kill between
    # the two copies. The bound: a lost answer causes at most one repeat, and a kill at
    # most one per job a dead process held (state 'running' in the store at the kill).
    slack_dups = explain_duplicates(slack.ledger.copies, bot.kills)
    tg_dups = explain_duplicates(telegram.ledger.copies, bot.kills)
    report = (f"slack: {slack_dups}, repeated posts {repeated_posts}, extra roots "
              f"{extra_roots}, lost answers {slack.ledger.lost_answers}; telegram: {tg_dups}, "
              f"repeated replies {repeated_replies}, lost answers "
              f"{telegram.ledger.lost_answers}; jobs held at kills {bot.jobs_held}; "
              f"failed webhook posts {customers.failed_posts}")
    print(report)
    assert slack_dups["unexplained"] == 0 and tg_dups["unexplained"] == 0, report
    assert repeated_posts + extra_roots == slack_dups["lost"] + slack_dups["kill"], report
    assert slack_dups["lost"] <= slack.ledger.lost_answers, report
    assert tg_dups["lost"] <= telegram.ledger.lost_answers, report
    assert slack_dups["kill"] + tg_dups["kill"] <= bot.jobs_held, report
