"""Backoff policy for retryable delivery failures."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    base: float = 1.0
    cap: float = 300.0
    max_attempts: int = 15

    def delay(self, attempts: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before the next try.

        Full jitter on an exponential backoff spreads retries of many jobs apart; a
        platform's ``Retry-After`` is a floor we never go under.
        """
        backoff = min(self.cap, self.base * 2 ** max(0, attempts - 1))
        jittered = rng.uniform(backoff / 2, backoff)
        if retry_after is not None:
            return retry_after + rng.uniform(0, min(1.0, retry_after * 0.1))
        return jittered

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts
