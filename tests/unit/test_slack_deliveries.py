"""Which deliveries of a Slack event run: the service the event listener asks, on both stores."""

from __future__ import annotations

from bot.models import OperatorMessage
from bot.slack.deliveries import SlackDeliveries
from storage.base import BaseStorage

REPLY = OperatorMessage(slack_channel="C1", thread_ts="1.0", ts="2.0", user="U1", text="hi",
                        event_key="slack:C1:2.0")


async def test_a_retry_after_a_success_is_a_repeat(storage: BaseStorage) -> None:
    deliveries = SlackDeliveries(storage)
    first = deliveries.delivery("Ev1", 0)
    assert not await first.is_repeat()
    await first.processed()
    assert [await deliveries.delivery("Ev1", n).is_repeat() for n in (1, 2, 3)] == [True] * 3
    assert not await deliveries.delivery("Ev2", 1).is_repeat()


async def test_a_retry_after_a_failure_runs_once(storage: BaseStorage) -> None:
    deliveries = SlackDeliveries(storage)
    assert not await deliveries.delivery("Ev1", 0).is_repeat()  # and it fails: no processed()
    retry = deliveries.delivery("Ev1", 1)
    assert not await retry.is_repeat()
    await retry.processed()
    assert await deliveries.delivery("Ev1", 2).is_repeat()


async def test_the_first_delivery_costs_no_store_trip(storage: BaseStorage) -> None:
    assert not await SlackDeliveries(storage).delivery("Ev1", 0).is_repeat()
    assert await storage.mark_seen("slack:Ev1:0", ttl=60)  # the key was never written


async def test_a_stored_reply_carries_the_keys_of_later_attempts(storage: BaseStorage) -> None:
    recorded = SlackDeliveries(storage).delivery("Ev1", 1).recorded_with(REPLY)
    assert (recorded.delivery_keys, recorded.delivery_ttl) == (("slack:Ev1:2", "slack:Ev1:3"),
                                                               3600.0)
    assert SlackDeliveries(storage).delivery("", 0).recorded_with(REPLY).delivery_keys == ()
