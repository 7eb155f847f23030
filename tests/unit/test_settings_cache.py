"""The settings cache in front of every store: one read per name in flight, writes win."""

from __future__ import annotations

import asyncio

from storage.settings_cache import SettingsCache


async def test_callers_that_miss_together_share_one_read() -> None:
    cache, reads = SettingsCache(), []

    async def load(name: str) -> str | None:
        reads.append(name)
        await asyncio.sleep(0.01)
        return '"on"'

    got = await asyncio.gather(*(cache.read("pref:x", load) for _ in range(20)))
    assert got == ['"on"'] * 20 and reads == ["pref:x"]
    assert await cache.read("pref:x", load) == '"on"' and reads == ["pref:x"]  # cached


async def test_an_entry_is_read_again_after_its_ttl() -> None:
    cache, values = SettingsCache(ttl=0.02), iter(['"a"', '"b"'])

    async def load(name: str) -> str | None:
        return next(values)

    assert await cache.read("n", load) == '"a"'
    await asyncio.sleep(0.03)
    assert await cache.read("n", load) == '"b"'


async def test_a_write_during_a_read_is_not_overwritten_by_the_stale_read() -> None:
    cache, started = SettingsCache(), asyncio.Event()

    async def slow_load(name: str) -> str | None:
        started.set()
        await asyncio.sleep(0.02)
        return '"old"'

    reading = asyncio.create_task(cache.read("n", slow_load))
    await started.wait()
    cache.forget("n")
    cache.put("n", '"new"')  # what set_setting does
    assert await reading == '"old"'  # that caller asked before the write
    assert await cache.read("n", slow_load) == '"new"'
