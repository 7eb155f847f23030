"""Fakes that keep a ledger of every message they stored and of every answer they lost.

A "lost" fault (or a client that gave up) means the platform did the work but the bot never
heard so: the at-least-once outbox will do it again, and the platform then holds the
message twice. The ledger marks the copy whose answer was lost, so a test can tell such a
duplicate from an unexplained one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.base import Args
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI


@dataclass
class Copy:
    """One stored message: when it was stored and whether the bot was told."""

    key: str
    at: float
    lost: bool = False


class _Ledger:
    def __init__(self) -> None:
        self.copies: list[Copy] = []
        # Set while one request's handler runs: the handlers store without awaiting, so
        # nothing else runs between the store and the answer (or its loss).
        self._current: Copy | None = None

    def note(self, key: str) -> None:
        self._current = Copy(key, time.monotonic())
        self.copies.append(self._current)

    def settle(self, lost: bool) -> None:
        if self._current is not None and lost:
            self._current.lost = True
        self._current = None

    @property
    def lost_answers(self) -> int:
        return sum(c.lost for c in self.copies)


class LedgerSlack(FakeSlackAPI):
    """Slack whose bot posts are keyed ``job:<id>:<root|reply>`` (the id rides in the
    post's metadata), ``human:<ts>`` for messages the test stores as an operator."""

    def __init__(self) -> None:
        super().__init__()
        self.ledger = _Ledger()
        self._by_ts: dict[str, Args] = {}

    def store_message(self, channel: str, *, text: str, thread_ts: str | None = None,
                      broadcast: bool = False, **fields: Any) -> Args:
        message = super().store_message(channel, text=text, thread_ts=thread_ts,
                                        broadcast=broadcast, **fields)
        self._by_ts[message["ts"]] = message
        meta = fields.get("metadata") or {}
        job = (meta.get("event_payload") or {}).get("job") if isinstance(meta, dict) else None
        if job is not None:
            self.ledger.note(f"job:{job}:{'reply' if thread_ts else 'root'}")
        return message

    def find(self, channel: str, ts: str) -> Args | None:
        return self._by_ts.get(ts)

    def _file(self, request: web.Request, method: str, args: Args,
              response: web.StreamResponse) -> web.StreamResponse:
        transport = request.transport
        self.ledger.settle(lost=transport is None or transport.is_closing())
        return super()._file(request, method, args, response)

    def _drop(self, request: web.Request, method: str, kind: str) -> web.StreamResponse:
        self.ledger.settle(lost=kind == "lost")
        return super()._drop(request, method, kind)


class LedgerTelegram(FakeTelegramAPI):
    """Telegram whose deliveries are keyed by chat and text."""

    def __init__(self) -> None:
        super().__init__()
        self.ledger = _Ledger()

    def _deliver(self, chat_id: int, method: str, content: Args, args: Args,
                 **extra: Any) -> Args:
        entry = super()._deliver(chat_id, method, content, args, **extra)
        self.ledger.note(f"{chat_id}:{content.get('text')}")
        return entry

    def _file(self, request: web.Request, method: str, args: Args,
              response: web.StreamResponse) -> web.StreamResponse:
        transport = request.transport
        self.ledger.settle(lost=transport is None or transport.is_closing())
        return super()._file(request, method, args, response)

    def _drop(self, request: web.Request, method: str, kind: str) -> web.StreamResponse:
        self.ledger.settle(lost=kind == "lost")
        return super()._drop(request, method, kind)


def explain_duplicates(copies: list[Copy], kills: list[float]) -> dict[str, int]:
    """Sort every repeated copy of a key into the documented causes.

    A copy is repeated when an earlier copy of the same key exists. It is explained by a
    *lost answer* when that earlier copy's answer was lost, by a *kill* when the process
    was SIGKILLed between the two copies (the post reached the platform, the completion
    was never written), and is *unexplained* otherwise.
    """
    last: dict[str, Copy] = {}
    counts = {"lost": 0, "kill": 0, "unexplained": 0}
    for copy in sorted(copies, key=lambda c: c.at):
        before = last.get(copy.key)
        if before is not None:
            if before.lost:
                counts["lost"] += 1
            elif any(before.at < k < copy.at for k in kills):
                counts["kill"] += 1
            else:
                counts["unexplained"] += 1
        last[copy.key] = copy
    return counts
