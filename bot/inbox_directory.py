"""Which Slack channel, and which brand, a conversation belongs to: found by its inbox."""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import PermanentError
from bot.inboxes import Inbox
from bot.models import DEFAULT_INBOX, Conversation


class InboxDirectory:
    """The deployment's inboxes by name (built once from ``Settings.inboxes``)."""

    def __init__(self, inboxes: Sequence[Inbox]) -> None:
        self._by_name = {inbox.name: inbox for inbox in inboxes}

    @property
    def several(self) -> bool:
        """More than one inbox: cards then name the brand."""
        return len(self._by_name) > 1

    def get(self, name: str) -> Inbox | None:
        return self._by_name.get(name)

    def default_channel(self) -> str:
        """Where answers queued without a channel (by an earlier release) go."""
        inbox = self._by_name.get(DEFAULT_INBOX) or next(iter(self._by_name.values()), None)
        return inbox.slack_channel if inbox else ""

    def slack_channel(self, conv: Conversation) -> str:
        """The channel of the conversation's thread, or, before it has one, its inbox's."""
        if conv.slack_channel:
            return conv.slack_channel
        inbox = self._by_name.get(conv.key.inbox)
        if inbox is None or not inbox.slack_channel:
            raise PermanentError(f"the inbox {conv.key.inbox!r} is not configured here",
                                 code="no_inbox")
        return inbox.slack_channel

    def brand(self, conv: Conversation) -> str:
        """The brand a card shows: only when there are several inboxes."""
        inbox = self._by_name.get(conv.key.inbox)
        return inbox.label if inbox is not None and self.several else ""
