"""A clock the test moves by hand; ``sleep`` advances it instead of waiting."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from tests.support.factories import T0


class FakeClock:
    def __init__(self, start: datetime = T0) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)


class RecordingClock(FakeClock):
    """A :class:`FakeClock` that keeps every ``sleep`` asked of it: the delays a retry
    loop chose, to assert on instead of wall time."""

    def __init__(self, start: datetime = T0) -> None:
        super().__init__(start)
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await super().sleep(seconds)
