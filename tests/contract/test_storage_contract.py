"""One behaviour contract, run against every storage backend."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.models import (
    DEFAULT_INBOX,
    ConversationKey,
    Delivery,
    InboundMessage,
    Ingested,
    JobState,
    Limit,
    NewJob,
    Status,
)
from storage.base import BaseStorage
from storage.redis import RedisStorage
from storage.sqlite import SqliteStorage
from tests.support import before_inboxes
from tests.support.factories import T0, inbound, job, lead, out_message, relay_plan

TTL = 3600.0


async def _ingest(storage: BaseStorage, *args: str, **kw: str):  # type: ignore[no-untyped-def]
    return await storage.ingest(inbound(*args, **kw), now=T0, plan=relay_plan, seen_ttl=TTL)


async def test_first_message_opens_conversation_with_relay_job(storage: BaseStorage) -> None:
    got = await _ingest(storage, "42", "1", "hello")
    assert got is not None and got.opened
    assert got.conversation.status is Status.NEW
    assert got.conversation.last_customer_at == T0
    assert got.conversation.due_at == T0  # the lifecycle sweeper will look at it
    assert got.message.text == "hello" and got.message.id > 0
    stored_job = await storage.get_job(got.job_ids[0])
    assert stored_job is not None and stored_job.payload == {"message_id": got.message.id}
    customer = await storage.get_customer(got.conversation.key)
    assert customer is not None and customer.name == "Ann Lee"


async def test_customer_details_are_merged_not_wiped(storage: BaseStorage) -> None:
    from dataclasses import replace

    first = inbound("42", "1")
    with_phone = replace(first, customer=replace(first.customer, phone="+331"), message_id="2",
                         event_key="e2")
    plain = replace(first, customer=replace(first.customer, username="ann2"), message_id="3",
                    event_key="e3")
    for item in (first, with_phone, plain):
        await storage.ingest(item, now=T0, plan=relay_plan, seen_ttl=TTL)
    customer = await storage.get_customer(first.key)
    assert customer is not None and customer.phone == "+331" and customer.username == "ann2"


async def test_album_id_is_kept(storage: BaseStorage) -> None:
    got = await storage.ingest(inbound(album_id="A1"), now=T0, plan=relay_plan, seen_ttl=TTL)
    assert got is not None and got.message.album_id == "A1"
    assert (await storage.list_messages(got.conversation.id))[0].album_id == "A1"


async def test_later_messages_join_the_conversation(storage: BaseStorage) -> None:
    first = await _ingest(storage, "42", "1")
    second = await _ingest(storage, "42", "2", "again")
    other = await _ingest(storage, "43", "1")
    assert first and second and other
    assert not second.opened and second.conversation.id == first.conversation.id
    assert other.opened and other.conversation.id != first.conversation.id
    texts = [m.text for m in await storage.list_messages(first.conversation.id)]
    assert texts == ["hello", "again"]


async def test_redelivered_event_is_stored_once(storage: BaseStorage) -> None:
    assert await _ingest(storage, "42", "1") is not None
    assert await _ingest(storage, "42", "1") is None
    conv = await storage.current_conversation(inbound().key)
    assert conv is not None and len(await storage.list_messages(conv.id)) == 1
    assert (await storage.outbox_stats(now=0)).depth == 1


async def test_concurrent_first_messages_open_one_conversation(storage: BaseStorage) -> None:
    results = await asyncio.gather(*(_ingest(storage, "7", str(i)) for i in range(20)))
    assert sum(1 for r in results if r and r.opened) == 1
    assert len({r.conversation.id for r in results if r}) == 1
    assert len(await storage.list_conversations()) == 1


async def test_thread_mapping_and_fields_persist(storage: BaseStorage) -> None:
    got = await _ingest(storage, "42", "1")
    assert got is not None
    conv = got.conversation
    conv.slack_channel, conv.thread_ts, conv.assignee = "C1", "1700000000.000001", "U5"
    conv.status, conv.extra = Status.ACTIVE, {"decline_reason": "spam"}
    await storage.save_conversation(conv)
    found = await storage.find_by_thread("C1", "1700000000.000001")
    assert found == conv
    assert await storage.find_by_thread("C1", "1.2") is None
    assert [c.id for c in await storage.list_conversations(Status.ACTIVE)] == [conv.id]
    assert await storage.list_conversations(Status.NEW) == []


async def test_message_ids_both_ways(storage: BaseStorage) -> None:
    got = await _ingest(storage, "42", "99")
    assert got is not None
    msg = got.message
    msg.slack_ts, msg.slack_channel, msg.delivery = "1700000000.000200", "C1", Delivery.DELIVERED
    await storage.save_message(msg)
    assert await storage.find_message_by_slack_ts("C1", "1700000000.000200") == msg
    assert await storage.find_message_by_channel_id(msg.conversation_id, "99") == msg
    assert await storage.find_message_by_channel_id(msg.conversation_id, "100") is None


async def test_add_message_with_jobs_is_one_unit(storage: BaseStorage) -> None:
    got = await _ingest(storage, "42", "1")
    assert got is not None
    msg, job_ids = await storage.add_message(
        out_message(got.conversation.id),
        lambda m: [job(1000 + m.id, ordering_key="conv:1")],
    )
    assert msg.id > 0 and len(job_ids) == 1
    assert (await storage.get_message(msg.id)) == msg
    assert await storage.find_message_by_slack_ts("C1", msg.slack_ts) == msg


async def test_add_message_can_save_its_conversation_in_the_same_unit(
    storage: BaseStorage
) -> None:
    got = await _ingest(storage, "42", "1")
    assert got is not None
    conv = got.conversation
    conv.operator_streak, conv.first_response_at = 1, T0
    msg, _ = await storage.add_message(out_message(conv.id), lambda m: [], conversation=conv)
    stored = await storage.require_conversation(conv.id)
    assert stored.operator_streak == 1 and stored.first_response_at == T0
    assert await storage.get_message(msg.id) == msg


async def test_add_message_marks_its_event_keys_seen_in_the_same_unit(
    storage: BaseStorage
) -> None:
    got = await _ingest(storage, "42", "1")
    assert got is not None
    await storage.add_message(out_message(got.conversation.id), lambda m: [],
                              seen=["slack:Ev9:1", "slack:Ev9:2"], seen_ttl=TTL)
    assert not await storage.mark_seen("slack:Ev9:1", TTL)
    assert not await storage.mark_seen("slack:Ev9:2", TTL)
    assert await storage.mark_seen("slack:Ev9:3", TTL)


async def test_thread_for_new_message_skips_stored_messages_and_other_threads(
    storage: BaseStorage
) -> None:
    got = await _ingest(storage, "42", "1")
    assert got is not None
    conv = await storage.set_thread(got.conversation.id, "C1", "1700000000.000001")
    reply = out_message(conv.id)
    found = await storage.thread_for_new_message("C1", conv.thread_ts, reply.slack_ts)
    assert found is not None and found.id == conv.id
    await storage.add_message(reply, lambda m: [])
    assert await storage.thread_for_new_message("C1", conv.thread_ts, reply.slack_ts) is None
    assert await storage.thread_for_new_message("C1", conv.thread_ts, "1700000000.000999")
    assert await storage.thread_for_new_message("C1", "1699999999.000000", "1.2") is None
    assert await storage.thread_for_new_message("C2", conv.thread_ts, "1.2") is None


async def _conversation_in(storage: BaseStorage, chat_id: str, channel: str) -> int:
    got = await _ingest(storage, chat_id, "1")
    assert got is not None
    return (await storage.set_thread(got.conversation.id, channel, "1700000000.000001")).id


async def test_a_slack_ts_is_found_only_in_its_own_channel(storage: BaseStorage) -> None:
    # Slack's ts is unique within a channel only: two channels may each hold one
    in_c1, _ = await storage.add_message(
        out_message(await _conversation_in(storage, "42", "C1"), "one"), lambda m: [])
    in_c2, _ = await storage.add_message(
        out_message(await _conversation_in(storage, "43", "C2"), "two", slack_channel="C2"),
        lambda m: [])
    assert in_c1.slack_ts == in_c2.slack_ts
    assert await storage.find_message_by_slack_ts("C1", in_c1.slack_ts) == in_c1
    assert await storage.find_message_by_slack_ts("C2", in_c2.slack_ts) == in_c2
    assert await storage.find_message_by_slack_ts("C3", in_c1.slack_ts) is None


async def test_a_ts_stored_in_another_channel_is_not_a_redelivery(storage: BaseStorage) -> None:
    await storage.add_message(out_message(await _conversation_in(storage, "42", "C1")),
                              lambda m: [])
    other = await _conversation_in(storage, "43", "C2")
    found = await storage.thread_for_new_message("C2", "1700000000.000001",
                                                 out_message(0).slack_ts)
    assert found is not None and found.id == other


async def test_a_message_stored_without_its_channel_is_in_its_conversations(
    storage: BaseStorage
) -> None:
    # what releases before the channel was recorded stored: the ts alone
    conv_id = await _conversation_in(storage, "42", "C1")
    msg, _ = await storage.add_message(out_message(conv_id, slack_channel=""), lambda m: [])
    msg.delivery = Delivery.DELIVERED
    await storage.save_message(msg)
    assert await storage.find_message_by_slack_ts("C1", msg.slack_ts) == msg
    assert await storage.find_message_by_slack_ts("C2", msg.slack_ts) is None
    assert await storage.thread_for_new_message("C1", "1700000000.000001", msg.slack_ts) is None


async def test_mark_seen_once_and_expiry(storage: BaseStorage) -> None:
    assert await storage.mark_seen("slack:Ev1", TTL)
    assert not await storage.mark_seen("slack:Ev1", TTL)
    assert await storage.mark_seen("slack:Ev2", 0.05)
    await asyncio.sleep(1.1)  # Redis expiry has a one-second grain in its reporting
    assert await storage.mark_seen("slack:Ev2", TTL)


async def test_enqueue_is_idempotent_by_dedupe_key(storage: BaseStorage) -> None:
    first = await storage.enqueue([job(1)], now=0)
    again = await storage.enqueue([job(1)], now=0)
    assert first == again
    assert (await storage.outbox_stats(now=0)).depth == 1


async def test_claim_respects_due_time_and_lease(storage: BaseStorage) -> None:
    await storage.enqueue([job(1), job(2, delay=10)], now=100)
    claimed = await storage.claim_jobs(now=100, lease=30, limit=10)
    assert [j.payload["n"] for j in claimed] == [1]
    assert claimed[0].state is JobState.RUNNING
    assert await storage.claim_jobs(now=105, lease=30, limit=10) == []
    # the worker died: after the lease the job is handed out again, with a new token
    again = await storage.claim_jobs(now=131, lease=30, limit=10)
    assert sorted(j.payload["n"] for j in again) == [1, 2]
    stale = claimed[0]
    assert not await storage.complete_job(stale)
    fresh = next(j for j in again if j.payload["n"] == 1)
    assert await storage.complete_job(fresh)
    assert await storage.get_job(fresh.id) is None


async def test_ordering_key_runs_jobs_one_at_a_time_in_order(storage: BaseStorage) -> None:
    await storage.enqueue([job(1, "c"), job(2, "c"), job(3, "d")], now=0)
    first = await storage.claim_jobs(now=0, lease=30, limit=10)
    assert sorted(j.payload["n"] for j in first) == [1, 3]
    assert await storage.claim_jobs(now=0, lease=30, limit=10) == []
    one = next(j for j in first if j.payload["n"] == 1)
    await storage.retry_job(one, due_at=5, error="429")
    assert await storage.claim_jobs(now=1, lease=30, limit=10) == []  # 2 waits behind 1
    one_again = await storage.claim_jobs(now=5, lease=30, limit=10)
    assert [j.payload["n"] for j in one_again] == [1]
    assert one_again[0].attempts == 1 and one_again[0].last_error == "429"
    await storage.complete_job(one_again[0])
    assert [j.payload["n"] for j in await storage.claim_jobs(now=5, lease=30, limit=10)] == [2]


async def test_failed_job_lets_the_queue_go_on(storage: BaseStorage) -> None:
    await storage.enqueue([job(1, "c"), job(2, "c")], now=0)
    (one,) = await storage.claim_jobs(now=0, lease=30, limit=10)
    assert await storage.fail_job(one, error="blocked by the user")
    failed = await storage.get_job(one.id)
    assert failed is not None and failed.state is JobState.FAILED
    assert failed.last_error == "blocked by the user"
    assert [j.payload["n"] for j in await storage.claim_jobs(now=0, lease=30, limit=10)] == [2]
    stats = await storage.outbox_stats(now=0)
    assert stats.failed == 1 and stats.depth == 1


async def test_rate_limit_wait_does_not_count_an_attempt(storage: BaseStorage) -> None:
    await storage.enqueue([job(1)], now=0)
    (one,) = await storage.claim_jobs(now=0, lease=30, limit=1)
    await storage.retry_job(one, due_at=1, error="", count_attempt=False)
    (again,) = await storage.claim_jobs(now=1, lease=30, limit=1)
    assert again.attempts == 0


def limited(n: int, ordering_key: str, kind: str = "send") -> NewJob:
    return NewJob(kind=kind, payload={"n": n}, dedupe_key=f"job:{n}", ordering_key=ordering_key)


async def test_a_limited_job_is_claimed_only_with_a_token(storage: BaseStorage) -> None:
    shared = {"send": Limit("slack:C1", rate=1, burst=2)}
    *_, third_id = await storage.enqueue([limited(n, f"k{n}") for n in (1, 2, 3)], now=0)
    first = await storage.claim_jobs(now=0, lease=30, limit=10, limits=shared)
    assert sorted(j.payload["n"] for j in first) == [1, 2]
    held = await storage.get_job(third_id)
    assert held is not None and held.state is JobState.PENDING
    assert held.due_at == 1.0 and held.runs == 0 and held.attempts == 0
    assert await storage.claim_jobs(now=0.5, lease=30, limit=10, limits=shared) == []
    (third,) = await storage.claim_jobs(now=1.0, lease=30, limit=10, limits=shared)
    assert third.payload["n"] == 3 and third.runs == 1


async def test_a_bucket_per_ordering_key(storage: BaseStorage) -> None:
    per_chat = {"send": Limit("chat:", rate=1, burst=1, per_ordering_key=True)}
    await storage.enqueue([limited(1, "a"), limited(2, "b")], now=0)
    both = await storage.claim_jobs(now=0, lease=30, limit=10, limits=per_chat)
    assert sorted(j.payload["n"] for j in both) == [1, 2]
    for claimed in both:
        await storage.complete_job(claimed)
    await storage.enqueue([limited(3, "a")], now=0.1)
    assert await storage.claim_jobs(now=0.1, lease=30, limit=10, limits=per_chat) == []
    assert await storage.take_token("chat:b", rate=1, burst=1, now=0.1) > 0  # b's own


async def test_a_bucket_per_scope_of_the_ordering_keys(storage: BaseStorage) -> None:
    """Slack's rate is per channel: each inbox's jobs (``…@acme``) take their own bucket,
    and jobs whose key names no scope (the default inbox, and jobs queued before inboxes)
    share one."""
    per_inbox = {"send": Limit("slack:", rate=1, burst=1, per_scope=True)}
    await storage.enqueue([limited(1, "slack:conv:1@acme"), limited(2, "slack:conv:2@acme"),
                           limited(3, "slack:conv:3@zen"), limited(4, "slack:conv:4"),
                           limited(5, "slack:conv:5")], now=0)
    first = await storage.claim_jobs(now=0, lease=30, limit=10, limits=per_inbox)
    assert sorted(j.payload["n"] for j in first) == [1, 3, 4]
    assert await storage.take_token("slack:acme", rate=1, burst=1, now=0) > 0
    assert await storage.take_token("slack:", rate=1, burst=1, now=0) > 0
    assert await storage.take_token("slack:zen", rate=1, burst=1, now=0) > 0


async def test_throttled_jobs_do_not_take_the_places_of_runnable_ones(
        storage: BaseStorage) -> None:
    one_token = {"send": Limit("slack:C1", rate=0.1, burst=1)}
    await storage.enqueue([limited(n, f"k{n}") for n in (1, 2, 3)]
                          + [limited(4, "k4", kind="react")], now=0)
    claimed = await storage.claim_jobs(now=0, lease=30, limit=2, limits=one_token)
    assert sorted(j.payload["n"] for j in claimed) == [1, 4]
    assert (await storage.outbox_stats(now=0)).depth == 4


async def test_outbox_stats_depth_and_age(storage: BaseStorage) -> None:
    await storage.enqueue([job(1), job(2)], now=100)
    stats = await storage.outbox_stats(now=160)
    assert stats.depth == 2 and stats.oldest_age == 60


async def test_concurrent_claims_hand_each_job_out_once(storage: BaseStorage) -> None:
    await storage.enqueue([job(n, ordering_key=f"k{n % 7}") for n in range(200)], now=0)
    seen: list[int] = []

    async def worker() -> None:
        while True:
            got = await storage.claim_jobs(now=0, lease=60, limit=5)
            if not got:
                if (await storage.outbox_stats(now=0)).depth == 0:
                    return
                await asyncio.sleep(0.001)
                continue
            for j in got:
                seen.append(j.payload["n"])
                assert await storage.complete_job(j)

    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(4))), timeout=60)
    assert sorted(seen) == list(range(200))


async def test_token_bucket(storage: BaseStorage) -> None:
    grants = [await storage.take_token("slack:C1", rate=1, burst=3, now=10) for _ in range(4)]
    assert grants[:3] == [0, 0, 0] and grants[3] > 0
    assert await storage.take_token("slack:C2", rate=1, burst=3, now=10) == 0
    assert await storage.take_token("slack:C1", rate=1, burst=3, now=11) == 0


async def test_held_bucket_gives_nothing_until_the_retry_after(storage: BaseStorage) -> None:
    assert await storage.take_token("slack:C1", rate=1, burst=4, now=10) == 0
    await storage.hold_bucket("slack:C1", rate=1, until=40, now=10)
    assert await storage.take_token("slack:C1", rate=1, burst=4, now=10) == 30
    assert await storage.take_token("slack:C1", rate=1, burst=4, now=39) == 1
    assert await storage.take_token("slack:C1", rate=1, burst=4, now=40) == 0
    assert await storage.take_token("slack:C1", rate=1, burst=4, now=40) > 0  # no burst yet
    assert await storage.take_token("slack:C2", rate=1, burst=4, now=10) == 0  # others go on


async def test_one_lead_per_conversation(storage: BaseStorage) -> None:
    made, created = await storage.create_lead(lead(5))
    again, created_again = await storage.create_lead(lead(5, owner="U2"))
    assert created and not created_again and again == made and made.id > 0
    made.status, made.activity = "Contacted", [{"kind": "note", "text": "called"}]
    await storage.save_lead(made)
    assert await storage.get_lead(made.id) == made
    other, _ = await storage.create_lead(lead(6))
    assert [x.id for x in await storage.list_leads()] == [made.id, other.id]


async def test_concurrent_lead_creation_makes_one(storage: BaseStorage) -> None:
    results = await asyncio.gather(*(storage.create_lead(lead(8)) for _ in range(10)))
    assert sum(created for _, created in results) == 1
    assert len({made.id for made, _ in results}) == 1


async def test_pools_round_robin(storage: BaseStorage) -> None:
    await storage.save_pool("sales", ["U1", "U2", "U3"])
    turns = [await storage.next_in_pool("sales") for _ in range(7)]
    assert turns == ["U1", "U2", "U3", "U1", "U2", "U3", "U1"]
    assert await storage.next_in_pool("nope") is None
    assert await storage.list_pools() == {"sales": ["U1", "U2", "U3"]}
    assert await storage.delete_pool("sales") and await storage.get_pool("sales") is None


async def test_pool_turns_are_fair_under_concurrency(storage: BaseStorage) -> None:
    await storage.save_pool("sales", ["A", "B", "C"])
    turns = await asyncio.gather(*(storage.next_in_pool("sales") for _ in range(30)))
    assert sorted(turns) == sorted(["A", "B", "C"] * 10)


async def test_settings_round_trip(storage: BaseStorage) -> None:
    assert await storage.get_setting("hours") is None
    await storage.set_setting("hours", {"mon": ["09:00", "18:00"]})
    assert await storage.get_setting("hours") == {"mon": ["09:00", "18:00"]}
    await storage.set_setting("hours", None)
    assert await storage.get_setting("hours") is None


async def test_ping(storage: BaseStorage) -> None:
    assert await storage.ping()


async def test_due_conversations_are_listed_in_order(storage: BaseStorage) -> None:
    from datetime import timedelta

    convs = []
    for chat in ("1", "2", "3"):
        got = await _ingest(storage, chat, "1")
        assert got is not None
        convs.append(got.conversation)
    convs[0].due_at, convs[1].due_at = T0 + timedelta(minutes=30), T0 + timedelta(minutes=10)
    convs[2].due_at = None
    for conv in convs:
        await storage.save_conversation(conv)
    assert await storage.list_due(T0) == []
    due = await storage.list_due(T0 + timedelta(minutes=20))
    assert [c.id for c in due] == [convs[1].id]
    assert [c.id for c in await storage.list_due(T0 + timedelta(hours=1))] == [
        convs[1].id, convs[0].id]
    convs[1].due_at = None
    await storage.save_conversation(convs[1])
    assert [c.id for c in await storage.list_due(T0 + timedelta(hours=1))] == [convs[0].id]


async def test_reuse_refused_opens_a_successor(storage: BaseStorage) -> None:
    first = await _ingest(storage, "42", "1")
    assert first is not None
    first.conversation.slack_channel, first.conversation.thread_ts = "C1", "1.1"
    await storage.save_conversation(first.conversation)
    again = await storage.ingest(inbound("42", "2"), now=T0, plan=relay_plan, seen_ttl=TTL,
                                 reuse=lambda conv: False)
    assert again is not None and again.opened
    assert again.conversation.id != first.conversation.id
    assert again.conversation.extra["previous_conversation"] == first.conversation.id
    assert again.conversation.extra["previous_thread"] == ["C1", "1.1"]
    current = await storage.current_conversation(inbound().key)
    assert current is not None and current.id == again.conversation.id
    kept = await storage.ingest(inbound("42", "3"), now=T0, plan=relay_plan, seen_ttl=TTL,
                                reuse=lambda conv: True)
    assert kept is not None and kept.conversation.id == again.conversation.id


async def test_one_lease_holder_at_a_time(storage: BaseStorage) -> None:
    assert await storage.acquire_lease("sweeper", "a", ttl=30, now=100)
    assert not await storage.acquire_lease("sweeper", "b", ttl=30, now=110)
    assert await storage.acquire_lease("sweeper", "a", ttl=30, now=120)  # renewal
    assert not await storage.acquire_lease("sweeper", "b", ttl=30, now=149)
    assert await storage.acquire_lease("sweeper", "b", ttl=30, now=151)  # a's ran out
    assert not await storage.acquire_lease("sweeper", "a", ttl=30, now=152)


async def test_logs_keep_the_newest_entries(storage: BaseStorage) -> None:
    for n in range(5):
        await storage.append_log("audit", {"n": n, "who": "U1"}, keep=3)
    assert await storage.read_log("audit", 10) == [{"n": 4, "who": "U1"}, {"n": 3, "who": "U1"},
                                                   {"n": 2, "who": "U1"}]
    assert await storage.read_log("audit", 1) == [{"n": 4, "who": "U1"}]
    assert await storage.read_log("other", 5) == []


async def test_job_ids_are_never_reused(storage: BaseStorage) -> None:
    (first,) = await storage.enqueue([job(1)], now=0)
    (claimed,) = await storage.claim_jobs(now=0, lease=30, limit=1)
    await storage.complete_job(claimed)
    (second,) = await storage.enqueue([job(2)], now=0)
    assert second > first  # job ids tag Slack posts; a reused id would find another's post


async def test_a_thread_set_while_messages_arrive_is_kept(storage: BaseStorage) -> None:
    first = await _ingest(storage, "9", "0")
    assert first is not None
    conv_id, last = first.conversation.id, ""

    async def keep_setting() -> None:
        nonlocal last
        for n in range(40):
            last = f"1.{n}"
            await storage.set_thread(conv_id, "C1", last)
            await asyncio.sleep(0)

    await asyncio.gather(keep_setting(), *(_ingest(storage, "9", str(n)) for n in range(1, 40)))
    conv = await storage.require_conversation(conv_id)
    assert (conv.slack_channel, conv.thread_ts) == ("C1", last)  # no ingest wrote it back
    assert len(await storage.list_messages(conv_id)) == 40


async def test_claims_are_counted_in_runs_unless_given_back(storage: BaseStorage) -> None:
    await storage.enqueue([job(1)], now=0)
    (first,) = await storage.claim_jobs(now=0, lease=30, limit=1)
    assert first.runs == 1
    # a rate-limit wait: the handler never started, so the claim does not count
    await storage.retry_job(first, due_at=1, error="", count_attempt=False, ran=False)
    (second,) = await storage.claim_jobs(now=1, lease=30, limit=1)
    assert second.runs == 1
    # a failure (or a crash: the lease runs out) leaves the run counted
    await storage.retry_job(second, due_at=2, error="timeout")
    (third,) = await storage.claim_jobs(now=2, lease=30, limit=1)
    assert third.runs == 2
    (fourth,) = await storage.claim_jobs(now=40, lease=30, limit=1)  # lease ran out
    assert fourth.runs == 3


async def test_complete_saves_messages_and_enqueues_in_one_unit(storage: BaseStorage) -> None:
    got = await _ingest(storage, "42", "1")
    assert got is not None
    (relay,) = await storage.claim_jobs(now=T0.timestamp(), lease=30, limit=1)
    msg = got.message
    msg.slack_ts, msg.slack_channel, msg.delivery = "1700000000.000300", "C1", Delivery.DELIVERED
    follow_up = job(7, ordering_key="other")
    assert await storage.complete_job(relay, save=[msg], enqueue=[follow_up], now=5.0)
    assert await storage.get_job(relay.id) is None
    assert await storage.find_message_by_slack_ts("C1", "1700000000.000300") == msg
    (queued,) = await storage.claim_jobs(now=5.0, lease=30, limit=10)
    assert queued.payload == {"n": 7} and queued.created_at == 5.0


async def test_complete_with_a_lost_lease_still_keeps_what_was_done(storage: BaseStorage) -> None:
    got = await _ingest(storage, "42", "1")
    assert got is not None
    (stale,) = await storage.claim_jobs(now=T0.timestamp(), lease=1, limit=1)
    (fresh,) = await storage.claim_jobs(now=T0.timestamp() + 5, lease=30, limit=1)
    msg = got.message
    msg.slack_ts, msg.slack_channel = "1700000000.000400", "C1"
    assert not await storage.complete_job(stale, save=[msg])
    assert await storage.find_message_by_slack_ts("C1", "1700000000.000400") == msg
    assert await storage.get_job(fresh.id) is not None  # the new holder still has it


async def test_message_for_reply_brings_the_customer(storage: BaseStorage) -> None:
    got = await _ingest(storage, "42", "1", "hello")
    assert got is not None
    found = await storage.message_for_reply(got.message.id)
    assert found is not None
    msg, conv, customer = found
    assert msg == got.message and conv.id == got.conversation.id
    assert customer is not None and customer.language == "en"
    assert customer == await storage.get_customer(conv.key)
    assert await storage.message_for_reply(10_000) is None


async def test_message_with_conversation(storage: BaseStorage) -> None:
    got = await _ingest(storage, "42", "1")
    assert got is not None
    found = await storage.message_with_conversation(got.message.id)
    assert found is not None
    msg, conv = found
    assert msg == got.message and conv.id == got.conversation.id
    assert await storage.message_with_conversation(10_000) is None


async def test_mark_all_seen(storage: BaseStorage) -> None:
    assert await storage.mark_seen("slack:Ev9:1", TTL)
    await storage.mark_all_seen(["slack:Ev9:1", "slack:Ev9:2", "slack:Ev9:3"], TTL)
    for key in ("slack:Ev9:1", "slack:Ev9:2", "slack:Ev9:3"):
        assert not await storage.mark_seen(key, TTL)
    assert await storage.mark_seen("slack:Ev9:4", TTL)


async def test_concurrent_ingest_and_saves_lose_no_message(storage: BaseStorage) -> None:
    """Ingest retries when a save of the same conversation lands between its read and its
    write (compare-and-set on Redis, one transaction on SQLite): every message is stored
    and the conversation ends up with the thread it was given."""
    first = await _ingest(storage, "77", "1")
    assert first is not None
    conv_id = first.conversation.id

    async def save_thread() -> None:
        await storage.set_thread(conv_id, "C1", "1700000000.000900")

    results = await asyncio.gather(*(_ingest(storage, "77", str(n)) for n in range(2, 32)),
                                   save_thread())
    stored = [r for r in results[:-1] if r is not None]
    assert len(stored) == 30 and {r.conversation.id for r in stored} == {conv_id}
    assert len(await storage.list_messages(conv_id)) == 31
    conv = await storage.require_conversation(conv_id)
    assert conv.thread_ts == "1700000000.000900"


# -- inboxes -----------------------------------------------------------------------------------
def _in_inbox(item: InboundMessage, inbox: str, name: str) -> InboundMessage:
    customer = replace(item.customer, key=replace(item.key, inbox=inbox), name=name)
    return replace(item, customer=customer, event_key=f"{inbox}/{item.event_key}")


async def _ingest_in(storage: BaseStorage, inbox: str, chat_id: str, message_id: str,
                     text: str = "hello") -> Ingested:
    item = inbound(chat_id, message_id, text)
    if inbox != DEFAULT_INBOX:
        item = _in_inbox(item, inbox, f"{inbox} customer")
    got = await storage.ingest(item, now=T0, plan=relay_plan, seen_ttl=TTL)
    assert got is not None
    return got


async def test_the_same_chat_in_two_inboxes_is_two_customers_and_conversations(
    storage: BaseStorage
) -> None:
    home = await _ingest_in(storage, DEFAULT_INBOX, "42", "1", "hello")
    acme = await _ingest_in(storage, "acme", "42", "1", "bonjour")
    assert acme.opened and acme.conversation.id != home.conversation.id
    assert acme.conversation.key == ConversationKey("telegram", "42", "acme")
    assert home.conversation.key == ConversationKey("telegram", "42")
    # each inbox's next message joins its own conversation, not the other's
    home_again = await _ingest_in(storage, DEFAULT_INBOX, "42", "2", "again")
    acme_again = await _ingest_in(storage, "acme", "42", "2", "encore")
    assert home_again.conversation.id == home.conversation.id and not home_again.opened
    assert acme_again.conversation.id == acme.conversation.id and not acme_again.opened
    texts = {inbox: [m.text for m in await storage.list_messages(got.conversation.id)]
             for inbox, got in (("home", home), ("acme", acme))}
    assert texts == {"home": ["hello", "again"], "acme": ["bonjour", "encore"]}
    for got, name in ((home, "Ann Lee"), (acme, "acme customer")):
        current = await storage.current_conversation(got.conversation.key)
        assert current is not None and current.id == got.conversation.id
        assert current.key == got.conversation.key
        customer = await storage.get_customer(got.conversation.key)
        assert customer is not None and customer.name == name
        found = await storage.message_for_reply(got.message.id)
        assert found is not None and found[2] == customer
    assert await storage.get_customer(ConversationKey("telegram", "42", "other")) is None
    assert await storage.current_conversation(ConversationKey("telegram", "42", "other")) is None


async def test_conversations_and_leads_are_listed_per_inbox(storage: BaseStorage) -> None:
    home = (await _ingest_in(storage, DEFAULT_INBOX, "42", "1")).conversation
    acme = (await _ingest_in(storage, "acme", "42", "1")).conversation
    active = (await _ingest_in(storage, "acme", "43", "1")).conversation
    active.status = Status.ACTIVE
    await storage.save_conversation(active)

    async def listed(status: Status | None = None, inbox: str | None = None) -> list[int]:
        return [c.id for c in await storage.list_conversations(status, inbox=inbox)]

    assert await listed() == [home.id, acme.id, active.id]
    assert await listed(inbox="acme") == [acme.id, active.id]
    assert await listed(inbox=DEFAULT_INBOX) == [home.id]
    assert await listed(Status.ACTIVE, inbox="acme") == [active.id]
    assert await listed(Status.ACTIVE, inbox=DEFAULT_INBOX) == []
    assert await listed(Status.NEW) == [home.id, acme.id]
    assert await listed(inbox="other") == []
    home_lead, _ = await storage.create_lead(lead(home.id))
    acme_lead, _ = await storage.create_lead(lead(active.id))
    assert [x.id for x in await storage.list_leads()] == [home_lead.id, acme_lead.id]
    assert [x.id for x in await storage.list_leads(inbox="acme")] == [acme_lead.id]
    assert [x.id for x in await storage.list_leads(inbox=DEFAULT_INBOX)] == [home_lead.id]
    assert await storage.list_leads(inbox="other") == []


@pytest.fixture
async def old_redis_storage(redis_storage: RedisStorage) -> RedisStorage:
    await before_inboxes.write_redis(redis_storage, before_inboxes.desk())
    return redis_storage


@pytest.fixture
async def old_sqlite_storage(tmp_path: Path) -> AsyncIterator[BaseStorage]:
    path = tmp_path / "v5.sqlite3"
    before_inboxes.write_sqlite(path, before_inboxes.desk())
    store = await SqliteStorage.from_url(f"sqlite:///{path}")
    yield store
    await store.close()


@pytest.fixture(params=["old_sqlite_storage", "old_redis_storage"])
def old_storage(request: pytest.FixtureRequest) -> BaseStorage:
    """A store holding ``before_inboxes.desk()`` as the release before inboxes wrote it."""
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


async def test_records_stored_without_an_inbox_are_the_default_inboxs(
    old_storage: BaseStorage
) -> None:
    old = before_inboxes.desk()
    key = ConversationKey("telegram", "42")
    current = await old_storage.current_conversation(key)
    assert current == old.conversations[-1] and current.key.inbox == DEFAULT_INBOX
    assert await old_storage.find_by_thread("C1", current.thread_ts) == current
    assert await old_storage.get_customer(key) == old.customers[0]
    found = await old_storage.message_for_reply(old.messages[-1].id)
    assert found is not None and found[2] == old.customers[0]
    assert await old_storage.list_conversations(inbox=DEFAULT_INBOX) == old.conversations
    assert await old_storage.list_leads(inbox=DEFAULT_INBOX) == old.leads
    # the default inbox's customer writes again: the old conversation takes it
    again = await _ingest_in(old_storage, DEFAULT_INBOX, "42", "9", "still there?")
    assert not again.opened and again.conversation.id == current.id
    customer = await old_storage.get_customer(key)
    assert customer is not None and customer.name == "Ann Lee"
    # the same chat id in another inbox is someone else
    acme = await _ingest_in(old_storage, "acme", "42", "9")
    assert acme.opened and acme.conversation.id not in {c.id for c in old.conversations}
    assert await old_storage.get_customer(key) == customer
    assert await old_storage.list_conversations(inbox="acme") == [acme.conversation]
