"""A Redis store written by the previous release keeps working after the upgrade."""

from __future__ import annotations

import json

from storage import codec
from storage.redis import RedisStorage
from storage.keys import MSG, MSG_BY_TS
from tests.support.factories import T0, inbound, out_message, relay_plan


async def test_a_message_indexed_by_ts_alone_is_found_in_its_conversations_channel(
    redis_storage: RedisStorage
) -> None:
    got = await redis_storage.ingest(inbound(), now=T0, plan=relay_plan, seen_ttl=60)
    assert got is not None
    conv = await redis_storage.set_thread(got.conversation.id, "C1", "1700000000.000001")
    # the previous release's keys: a document naming no channel, an index by ts alone
    doc = {**codec.message_doc(out_message(conv.id)), "id": 900}
    del doc["slack_channel"]
    await redis_storage._redis.set(redis_storage._k(MSG, 900), json.dumps(doc))
    await redis_storage._redis.set(redis_storage._k(MSG_BY_TS, doc["slack_ts"]), 900)
    found = await redis_storage.find_message_by_slack_ts("C1", doc["slack_ts"])
    assert found is not None and found.id == 900
    assert await redis_storage.find_message_by_slack_ts("C2", doc["slack_ts"]) is None
    assert await redis_storage.thread_for_new_message("C1", conv.thread_ts,
                                                      doc["slack_ts"]) is None
