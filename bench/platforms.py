"""The local fake Slack and Telegram, instrumented to time when each benchmark message lands.

Every benchmark message carries a token (``in-0000042`` towards Slack, ``out-0000042``
towards the customer); the fakes note the monotonic time each token first arrives.
``time.monotonic`` is the system-wide CLOCK_MONOTONIC, so the times compare with the
sender's (same process) and would with another process's too.
"""

from __future__ import annotations

import re
import time
from typing import Any

from aiohttp import web

from tests.fakes.base import Args
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.harness import OPERATOR

IN_TOKEN = re.compile(r"in-(\d{7})")
OUT_TOKEN = re.compile(r"out-(\d{7})")


def in_token(seq: int) -> str:
    return f"in-{seq:07d}"


def out_token(seq: int) -> str:
    return f"out-{seq:07d}"


class TimedSlack(FakeSlackAPI):
    """Notes the arrival of ``in-`` tokens in thread replies; finds messages by ts in O(1)
    (the base scans the channel, which is quadratic over a long benchmark)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[int, float] = {}
        self.duplicates = 0
        self._by_ts: dict[str, Args] = {}
        self.add_user(OPERATOR, real_name="Sam Porter", display_name="sam", first_name="Sam")

    def store_message(self, channel: str, *, text: str, thread_ts: str | None = None,
                      broadcast: bool = False, **fields: Any) -> Args:
        message = super().store_message(channel, text=text, thread_ts=thread_ts,
                                        broadcast=broadcast, **fields)
        self._by_ts[message["ts"]] = message
        if thread_ts and fields.get("bot_id", "x"):
            now = time.monotonic()
            for seq in map(int, IN_TOKEN.findall(text)):
                if seq in self.arrivals:
                    self.duplicates += 1
                self.arrivals.setdefault(seq, now)
        return message

    def find(self, channel: str, ts: str) -> Args | None:
        return self._by_ts.get(ts)

    def reset_log(self) -> None:
        """Forget the call log and the messages (long runs: keep the bench process small)."""
        self.calls.clear()
        self.faults.clear()
        self.messages.clear()
        self._by_ts.clear()


class TimedTelegram(FakeTelegramAPI):
    """Notes the arrival of ``out-`` tokens in messages sent to customers. With ``tokens``
    it also serves those bots: every inbox of a bot process shares ``TELEGRAM_API_BASE``."""

    def __init__(self, tokens: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.arrivals: dict[int, float] = {}
        self.duplicates = 0
        self.tokens = frozenset({self.token, *tokens})

    async def _api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] in self.tokens:
            request.match_info["token"] = self.token
        return await super()._api(request)

    def _deliver(self, chat_id: int, method: str, content: Args, args: Args,
                 **extra: Any) -> Args:
        entry = super()._deliver(chat_id, method, content, args, **extra)
        now = time.monotonic()
        for seq in map(int, OUT_TOKEN.findall(str(content.get("text") or ""))):
            if seq in self.arrivals:
                self.duplicates += 1
            self.arrivals.setdefault(seq, now)
        return entry
