"""The lifecycle index, leases, named logs and the keyed cache on Redis (a mixin of
RedisStorage)."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any, cast

from redis.asyncio import Redis

from bot.models import Conversation
from storage.keys import CACHE, DUE, LEASE, LOG, RedisKeys

# The lease expiry is compared with the caller's clock (not Redis's), so a test's fake
# clock and every process agree on when a lease ran out.
_ACQUIRE = """
local holder = redis.call('HGET', KEYS[1], 'holder')
local expires = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if holder and holder ~= ARGV[1] and expires > tonumber(ARGV[2]) then
  return 0
end
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'until', ARGV[3])
return 1
"""


class RedisExtrasMixin:
    _redis: Redis
    _keys: RedisKeys

    def _k(self, *parts: str | int) -> str:
        raise NotImplementedError

    async def get_conversation(self, conversation_id: int) -> Conversation | None:
        raise NotImplementedError

    async def drop_everything(self) -> None:
        """Delete every key under this store's prefix (tests, and resetting a desk)."""
        pattern = self._keys.everything()
        keys = [key async for key in self._redis.scan_iter(match=pattern, count=1000)]
        for start in range(0, len(keys), 500):
            await self._redis.delete(*keys[start:start + 500])

    async def list_due(self, now: datetime, limit: int = 100) -> list[Conversation]:
        ids = cast(list[str], await self._redis.zrangebyscore(
            self._k(DUE), "-inf", now.timestamp(), start=0, num=limit))
        loaded = [await self.get_conversation(int(i)) for i in ids]
        return [conv for conv in loaded if conv is not None]

    async def acquire_lease(self, name: str, holder: str, *, ttl: float, now: float) -> bool:
        got = await self._redis.eval(_ACQUIRE, 1, self._k(LEASE, name), holder, repr(now),
                                     repr(now + ttl))
        return bool(got)

    async def append_log(self, name: str, entry: dict[str, Any], *, keep: int = 1000) -> None:
        key = self._k(LOG, name)
        pipe = self._redis.pipeline(transaction=True)
        pipe.lpush(key, json.dumps(entry, ensure_ascii=False))
        pipe.ltrim(key, 0, keep - 1)
        await pipe.execute()

    async def read_log(self, name: str, limit: int) -> list[dict[str, Any]]:
        raws = await self._redis.lrange(self._k(LOG, name), 0, limit - 1)
        return [json.loads(raw) for raw in raws]

    async def cache_put(self, key: str, value: dict[str, Any], *, ttl: float,
                        now: float) -> None:
        # Redis drops the key on its own clock; the caller's clock decides freshness.
        doc = json.dumps({"until": now + ttl, "value": value}, ensure_ascii=False)
        await self._redis.set(self._k(CACHE, key), doc, ex=max(1, math.ceil(ttl)))

    async def cache_get(self, key: str, *, now: float) -> dict[str, Any] | None:
        raw = await self._redis.get(self._k(CACHE, key))
        if raw is None:
            return None
        doc = json.loads(raw)
        return cast(dict[str, Any], doc["value"]) if doc["until"] > now else None
