"""The desk's records on Redis: leads, owner pools and settings (a mixin of RedisStorage)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import cast

from bot.models import Lead
from storage import codec
from storage import redis_doc_scripts as lua
from storage.redis_documents import RedisDocumentsMixin
from storage.redis_outbox import to_json
from storage.keys import CONV, LEAD, LEAD_BY_CONV, LEADS, POOL, POOL_CURSOR, POOLS, SETTINGS


class RedisDeskMixin(RedisDocumentsMixin):
    async def create_lead(self, lead: Lead) -> tuple[Lead, bool]:
        # Checked first so that asking twice does not burn a lead id.
        existing = await self._follow(self._k(LEAD_BY_CONV, lead.conversation_id),
                                      codec.lead_from, LEAD)
        if existing is not None:
            return existing, False
        made = replace(lead, id=await self._next_id(LEAD))
        keys = [self._k(LEAD_BY_CONV, lead.conversation_id), self._k(LEAD, made.id),
                self._k(LEADS)]
        args: list[str | int] = [made.id, codec.dumps(codec.lead_doc(made)), self._k(LEAD, "")]
        created, doc = await self._lua[lua.CREATE_LEAD](keys=keys, args=args)
        return (made, True) if created else (codec.lead_from(json.loads(doc)), False)

    async def get_lead(self, lead_id: int) -> Lead | None:
        return await self._load(codec.lead_from, LEAD, lead_id)

    async def save_lead(self, lead: Lead) -> None:
        await self._redis.set(self._k(LEAD, lead.id), codec.dumps(codec.lead_doc(lead)))

    async def list_leads(self, *, inbox: str | None = None) -> list[Lead]:
        leads = await self._load_listed(self._k(LEADS), codec.lead_from, LEAD)
        if inbox is None or not leads:
            return leads
        # a lead knows its conversation, the conversation its inbox
        raws = await self._redis.mget([self._k(CONV, lead.conversation_id) for lead in leads])
        return [lead for lead, raw in zip(leads, raws, strict=True)
                if raw is not None and codec.key_from(json.loads(raw)["key"]).inbox == inbox]

    async def save_pool(self, name: str, members: Sequence[str]) -> None:
        pipe = self._transaction()
        pipe.set(self._k(POOL, name), to_json(list(members)))
        pipe.sadd(self._k(POOLS), name)
        await pipe.execute()

    async def get_pool(self, name: str) -> list[str] | None:
        return await self._load(list, POOL, name)

    async def delete_pool(self, name: str) -> bool:
        pipe = self._transaction()
        pipe.delete(self._k(POOL, name))
        pipe.delete(self._k(POOL_CURSOR, name))
        pipe.srem(self._k(POOLS), name)
        deleted, _, _ = await pipe.execute()
        return bool(deleted)

    async def list_pools(self) -> dict[str, list[str]]:
        names = sorted(cast(set[str], await self._redis.smembers(self._k(POOLS))))
        raws = await self._redis.mget([self._k(POOL, name) for name in names]) if names else []
        return {name: json.loads(raw) for name, raw in zip(names, raws) if raw is not None}

    async def next_in_pool(self, name: str) -> str | None:
        script = self._lua[lua.NEXT_IN_POOL]
        turn = await script(keys=[self._k(POOL, name), self._k(POOL_CURSOR, name)])
        return None if turn is None else str(turn)

    async def _read_setting(self, name: str) -> str | None:
        raw = await self._redis.hget(self._k(SETTINGS), name)
        return None if raw is None else str(raw)

    async def _write_setting(self, name: str, raw: str | None) -> None:
        if raw is None:
            await self._redis.hdel(self._k(SETTINGS), name)
        else:
            await self._redis.hset(self._k(SETTINGS), name, raw)
