"""Slack's redeliveries of an Events API event: which attempt to run, which to skip."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.models import OperatorMessage
from storage import keys
from storage.base import BaseStorage

SEEN_TTL = 3600.0
# Slack retries an event at most three times (X-Slack-Retry-Num 1..3).
LAST_RETRY = 3


@dataclass(frozen=True)
class Delivery:
    """One delivery of an Events API event (``event_id`` is empty for other requests).

    ``BaseStorage`` can only test-and-set (``mark_seen``), and bolt runs listeners after
    all global middleware, so "skip if done" is split in two. Attempt *n* tests the key
    ``slack:<event_id>:<n>``, which nothing but a *success* of an earlier attempt sets
    (``processed`` writes the keys of every later attempt; a stored operator message
    carries them into its own transaction instead). A retry after a success is
    therefore acked and skipped; a retry after a failure finds its key unset and runs.
    Attempt 0 has no earlier attempt, so it has nothing to test and costs no store trip
    (Slack sends each attempt once). Two attempts may still overlap when the first
    outlives Slack's 3 s timeout; ConversationEvents is idempotent per message ts for that case.
    """

    storage: BaseStorage
    event_id: str
    attempt: int

    def _key(self, attempt: int) -> str:
        return keys.slack_delivery(self.event_id, attempt)

    def later_keys(self) -> tuple[str, ...]:
        """The keys that make every later attempt a repeat (none without an event id)."""
        if not self.event_id:
            return ()
        return tuple(self._key(n) for n in range(self.attempt + 1, LAST_RETRY + 1))

    async def is_repeat(self) -> bool:
        """True when an earlier attempt of this event was processed successfully."""
        if not self.event_id or self.attempt == 0:
            return False
        return not await self.storage.mark_seen(self._key(self.attempt), ttl=SEEN_TTL)

    async def processed(self) -> None:
        """Record success, so that later attempts are skipped."""
        if keys := self.later_keys():
            await self.storage.mark_all_seen(keys, ttl=SEEN_TTL)

    def recorded_with(self, message: OperatorMessage) -> OperatorMessage:
        """``message`` carrying this delivery's keys, so that storing it also records the
        delivery as processed: one store trip fewer for every reply."""
        return replace(message, delivery_keys=self.later_keys(), delivery_ttl=SEEN_TTL)


class SlackDeliveries:
    """What the Slack listeners ask about a request: which delivery of its event it is."""

    def __init__(self, storage: BaseStorage) -> None:
        self.storage = storage

    def delivery(self, event_id: str, attempt: int) -> Delivery:
        """:param event_id: the envelope's ``event_id`` ("" for requests that have none)
        :param attempt: Slack's retry number, 0 for the first delivery"""
        return Delivery(self.storage, event_id, attempt)
