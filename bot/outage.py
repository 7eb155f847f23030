"""A dependency's outage as one retry loop sees it: how long to wait before the next try,
and a log line only when its state changes, instead of a traceback per failed try."""

from __future__ import annotations

import logging
import random
import re
from datetime import datetime

from bot.lifecycle.clock import Clock
from bot.lifecycle.retry import RetryPolicy

#: Waits between tries: 1, 2, 4 … seconds, each drawn between half and all of it, 30 at most.
OUTAGE_BACKOFF = RetryPolicy(base=1.0, cap=30.0)
REMIND_EVERY = 60.0
REASON_LIMIT = 160
_SECRETS = (
    (re.compile(r"\d+:[A-Za-z0-9_-]{30,}"), "***"),  # a Telegram bot token, as in /bot<token>/
    (re.compile(r"xox[a-z]-[A-Za-z0-9-]+"), "xox*-***"),  # a Slack token
    (re.compile(r"://[^/@\s]*@"), "://***@"),  # credentials in a URL (redis://:pw@host)
)


def short_reason(exc: BaseException) -> str:
    """``Type: first line of its message``, shortened, with anything token-like masked."""
    lines = str(exc).strip().splitlines()
    message = lines[0] if lines else ""
    for pattern, mask in _SECRETS:
        message = pattern.sub(mask, message)
    if len(message) > REASON_LIMIT:
        message = message[:REASON_LIMIT - 1] + "…"
    kind = _public_kind(exc)
    return f"{kind}: {message}" if message else kind


def _public_kind(exc: BaseException) -> str:
    """The error's class as a library names it: the store's own markers (``CommandNeverRan``
    is a ConnectionError it retried once) mean nothing to whoever reads the log."""
    for cls in type(exc).__mro__:
        if not cls.__module__.startswith("storage."):
            return cls.__name__
    return type(exc).__name__


class Outage:
    """Counts one retry loop's failed tries and logs only its changes of state: "down"
    once (the error's type and reason, no traceback), "still down" at most every
    ``remind_every`` seconds, "up again" at the first try that succeeds.

    :param what: what is down, as the log lines name it (``"outbox: store"``)
    :param rng: jitter source; seed it for reproducible delays
    """

    def __init__(self, what: str, *, logger: logging.Logger, clock: Clock,
                 rng: random.Random | None = None, policy: RetryPolicy = OUTAGE_BACKOFF,
                 remind_every: float = REMIND_EVERY) -> None:
        self.what, self.logger, self.clock, self.policy = what, logger, clock, policy
        self.remind_every = remind_every
        self.failures = 0
        self._rng = rng or random.Random()
        self._since: datetime | None = None
        self._reminded: datetime | None = None

    @property
    def down(self) -> bool:
        return self.failures > 0

    def failed(self, exc: BaseException, *, retry_after: float | None = None) -> float:
        """Record a failed try.

        :param retry_after: the server's own wait (a 429), a floor under the backoff
        :return: seconds to wait before the next try
        """
        now = self.clock.now()
        self.failures += 1
        delay = self.policy.delay(self.failures, retry_after, self._rng)
        if self._since is None or self._reminded is None:
            self._since = self._reminded = now
            self.logger.error("%s down (%s); retrying less and less often until it answers",
                              self.what, short_reason(exc))
        elif (now - self._reminded).total_seconds() >= self.remind_every:
            self._reminded = now
            self.logger.error("%s still down after %.0fs, %d failed tries (%s)", self.what,
                              self._downtime(now), self.failures, short_reason(exc))
        return delay

    def succeeded(self) -> None:
        """Record a try that worked: the backoff starts over."""
        if self._since is None:
            return
        self.logger.warning("%s up again after %.0fs, %d failed tries", self.what,
                            self._downtime(self.clock.now()), self.failures)
        self.failures, self._since, self._reminded = 0, None, None

    def _downtime(self, now: datetime) -> float:
        return (now - self._since).total_seconds() if self._since else 0.0
