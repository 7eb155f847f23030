"""The keyed cache with expiry, on every backend."""

from __future__ import annotations

from storage.base import BaseStorage


async def test_a_cached_value_is_read_back_until_it_expires(storage: BaseStorage) -> None:
    await storage.cache_put("billing:1:stripe", {"plan": "Pro", "n": 2}, ttl=60, now=1000.0)
    assert await storage.cache_get("billing:1:stripe", now=1030.0) == {"plan": "Pro", "n": 2}
    assert await storage.cache_get("billing:1:stripe", now=1060.0) is None
    assert await storage.cache_get("billing:2:stripe", now=1000.0) is None


async def test_a_new_value_replaces_the_old_one_and_its_expiry(storage: BaseStorage) -> None:
    await storage.cache_put("k", {"v": 1}, ttl=10, now=0.0)
    await storage.cache_put("k", {"v": 2}, ttl=100, now=5.0)
    assert await storage.cache_get("k", now=50.0) == {"v": 2}
