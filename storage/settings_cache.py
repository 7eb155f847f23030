"""A short cache in front of the stored settings: every event reads several of them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

SETTINGS_TTL = 1.0


class SettingsCache:
    """Settings' JSON text by name, each kept for ``SETTINGS_TTL`` seconds. The text, not
    the value, so a caller that changes what it got cannot change what others get. One
    read is in flight per name: callers that miss together wait for the same read."""

    def __init__(self, ttl: float = SETTINGS_TTL) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, str | None]] = {}
        self._reading: dict[str, asyncio.Future[str | None]] = {}

    async def read(self, name: str, load: Callable[[str], Awaitable[str | None]]) -> str | None:
        entry = self._entries.get(name)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        if (pending := self._reading.get(name)) is not None:
            return await asyncio.shield(pending)
        future = self._reading[name] = asyncio.get_running_loop().create_future()
        try:
            raw = await load(name)
        except BaseException as exc:
            if self._reading.get(name) is future:
                del self._reading[name]
            future.set_exception(exc)
            future.exception()  # retrieved: the waiters, if any, get it too
            raise
        future.set_result(raw)
        if self._reading.get(name) is future:  # else a write came meanwhile: keep its value
            del self._reading[name]
            self.put(name, raw)
        return raw

    def put(self, name: str, raw: str | None) -> None:
        self._entries[name] = (time.monotonic() + self.ttl, raw)

    def forget(self, name: str) -> None:
        self._entries.pop(name, None)
        self._reading.pop(name, None)  # a read started before the change must not land
