"""What messages do to the lifecycle, and what it shows on the card.

- A customer writing in a closed conversation whose thread is young enough reopens it
  there (``reuse``; the relay_in job broadcasts that message to the channel); an older one is left
  closed and the store opens a successor, whose card links to the old thread.
- Anyone writing in an inactive conversation makes it active again.
"""

from __future__ import annotations

from urllib.parse import urlencode

from bot import loggers
from bot.lifecycle.clock import Clock
from bot.lifecycle.policy import DEFAULT_POLICY, PARSERS, lifecycle_problem
from bot.lifecycle.timers import reopens_in_place
from bot.lifecycle.transitions import card_refresh, mark_reactivated, mark_reopened
from bot.models import Conversation, Direction, InboundMessage, Message, Status
from bot.outbox import Outbox
from bot.preferences import preference
from bot.rendering import Renderer
from storage.base import BaseStorage


def thread_link(slack_channel: str, thread_ts: str) -> str:
    return "https://slack.com/app_redirect?" + urlencode(
        {"channel": slack_channel, "message_ts": thread_ts})


def _may_wake(conv: Conversation, msg: Message) -> bool:
    return conv.status is Status.INACTIVE or (conv.status is Status.CLOSED
                                              and msg.direction is Direction.IN)


class Activity:
    def __init__(self, *, storage: BaseStorage, outbox: Outbox, renderer: Renderer,
                 clock: Clock) -> None:
        self.storage, self.outbox, self.renderer, self.clock = storage, outbox, renderer, clock
        self.reopen_within = DEFAULT_POLICY.reopen_within

    # -- ConversationEvents.reuse and the intake gate that keeps it current ------------------
    def reuse(self, conv: Conversation) -> bool:
        """Synchronous, as it runs inside the store's ingest transaction."""
        return reopens_in_place(conv, self.clock.now(), self.reopen_within)

    async def load_reopen_window(self, inbound: InboundMessage) -> bool:
        """An intake gate that turns nobody away: it loads ``reopen_within`` just before
        the message is stored, so ``reuse`` follows the desk's current preference."""
        value = await preference(self.storage, "reopen_within")
        if problem := lifecycle_problem("reopen_within", value):
            loggers.lifecycle.warning("invalid lifecycle setting, using its default: %s",
                                      problem)
            self.reopen_within = DEFAULT_POLICY.reopen_within
        else:
            self.reopen_within = PARSERS["reopen_within"](value)
        return True

    # -- ConversationEvents.message_hooks ------------------------------------------------------
    async def on_message(self, conv: Conversation, msg: Message) -> None:
        if msg.direction is Direction.NOTE or not _may_wake(conv, msg):
            return  # ``conv`` was stored or read a moment ago: no need to read it again
        fresh = await self.storage.get_conversation(conv.id)
        now = self.clock.now()
        if fresh is None:
            return
        if fresh.status is Status.CLOSED and msg.direction is Direction.IN:
            mark_reopened(fresh, msg.id, now)
        elif fresh.status is Status.INACTIVE:
            mark_reactivated(fresh, now, by=msg.author if msg.direction is Direction.OUT else "")
        else:
            return
        fresh.due_at = now  # the sweeper recomputes its deadlines
        await self.storage.save_conversation(fresh)
        await self.storage.enqueue([card_refresh(fresh)], now=now.timestamp())
        self.outbox.notify()
        loggers.lifecycle.info("conversation %s: %s", fresh.id, fresh.status.value)

    # -- the card -------------------------------------------------------------------------------
    async def card_note(self, conv: Conversation) -> str:
        previous = conv.extra.get("previous_thread") or ["", ""]
        link = thread_link(*previous) if all(previous) else ""
        if "missed_at" not in conv.extra and not link:
            return ""
        return self.renderer.render("slack/card_lifecycle.mrkdwn",
                                    missed="missed_at" in conv.extra, previous_link=link)
