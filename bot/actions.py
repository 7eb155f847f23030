"""Accept, decline, reopen, close: what an operator decides about a conversation.

Every action is idempotent (a double click or a retried interaction changes nothing the
second time), updates the thread's card, and tells the customer in their language when
the desk's preferences say so.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import jobs
from bot.access import Access
from bot.lifecycle.clock import Clock
from bot.models import Conversation, NewJob, Status
from bot.outbox import Outbox
from bot.preferences import preference
from bot.rendering import Renderer
from storage.base import BaseStorage


@dataclass(frozen=True)
class Outcome:
    """``refusal`` is the private answer when the action was not done."""

    done: bool
    refusal: str = ""


DONE, UNCHANGED = Outcome(True), Outcome(False)


class ConversationActions:
    def __init__(self, *, storage: BaseStorage, outbox: Outbox, renderer: Renderer,
                 clock: Clock, access: Access) -> None:
        self.storage, self.outbox, self.renderer = storage, outbox, renderer
        self.clock, self.access = clock, access

    def _refuse_non_operator(self, user: str) -> Outcome | None:
        if self.access.may_operate(user):
            return None
        return Outcome(False, self.renderer.render("slack/action_refused.mrkdwn"))

    async def accept(self, conv: Conversation, user: str, *, notify: bool = True) -> Outcome:
        if refused := self._refuse_non_operator(user):
            return refused
        if conv.status is Status.ACTIVE and conv.assignee == user:
            return UNCHANGED
        was_new = conv.status is Status.NEW
        self._mark(conv, Status.ACTIVE, "accepted", user)
        conv.assignee = user
        extra = []
        if notify and was_new and await preference(self.storage, "notify_on_accept"):
            extra.append(await self._to_customer(conv, "accepted", "accepted"))
        await self._save_and_refresh(conv, extra)
        return DONE

    async def decline(self, conv: Conversation, user: str, *, reason: str,
                      notify: bool) -> Outcome:
        if refused := self._refuse_non_operator(user):
            return refused
        if conv.status is Status.DECLINED:
            return UNCHANGED
        self._mark(conv, Status.DECLINED, "declined", user)
        conv.extra["decline_reason"] = reason
        extra = []
        if notify:
            extra.append(await self._to_customer(conv, "declined", "declined",
                                                 reason=reason))
        await self._save_and_refresh(conv, extra)
        return DONE

    async def reopen(self, conv: Conversation, user: str) -> Outcome:
        if refused := self._refuse_non_operator(user):
            return refused
        if conv.status is Status.ACTIVE:
            return UNCHANGED
        self._mark(conv, Status.ACTIVE, "reopened", user)
        conv.assignee = conv.assignee or user
        await self._save_and_refresh(conv, [])
        return DONE

    async def close(self, conv: Conversation, user: str) -> Outcome:
        if refused := self._refuse_non_operator(user):
            return refused
        if conv.status is Status.CLOSED:
            return UNCHANGED
        self._mark(conv, Status.CLOSED, "closed", user)
        extra = []
        if await preference(self.storage, "goodbye_on_close"):
            extra.append(await self._to_customer(conv, "goodbye", "closed"))
        await self._save_and_refresh(conv, extra)
        return DONE

    async def first_reply(self, conv: Conversation, user: str) -> None:
        """An operator's first answer accepts a new conversation (the answer itself is
        the customer's acknowledgement, so no template is sent)."""
        if conv.status is Status.NEW:
            await self.accept(conv, user, notify=False)

    # -- helpers -------------------------------------------------------------------------
    def _mark(self, conv: Conversation, status: Status, verb: str, user: str) -> None:
        conv.status = status
        conv.extra["last_action"] = {"verb": verb, "by": user,
                                     "at": self.clock.now().isoformat()}
        # numbers each transition so that a later decline notifies again (dedupe keys)
        conv.extra["transitions"] = int(conv.extra.get("transitions", 0)) + 1
        # the new status has other timers (a reopened conversation can idle-close again)
        conv.due_at = self.clock.now()

    async def _to_customer(self, conv: Conversation, purpose: str, verb: str,
                           **context: str) -> NewJob:
        customer = await self.storage.get_customer(conv.key)
        language = self.renderer.language_for(customer.language if customer else "")
        dedupe = f"{verb}:{conv.id}:{conv.extra['transitions']}"
        return jobs.send_text(conv.key, jobs.CustomerText(purpose, language, context), dedupe,
                              conv_id=conv.id)

    async def _save_and_refresh(self, conv: Conversation, extra: list[NewJob]) -> None:
        await self.storage.save_conversation(conv)
        refresh = jobs.refresh_card(conv, f"card:{conv.id}:{conv.extra['transitions']}")
        await self.storage.enqueue([refresh, *extra], now=self.clock.now().timestamp())
        self.outbox.notify()
