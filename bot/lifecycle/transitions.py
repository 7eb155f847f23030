"""What a lifecycle change does: the conversation's status and marks, and the jobs that tell
the thread and the customer. Marks are plain mutations (the caller saves); every text is
rendered from a template and every job goes through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import jobs
from bot.durations import human_duration
from bot.lifecycle.policy import LifecyclePolicy
from bot.lifecycle.timers import Transition, reopened_status, waiting_since
from bot.models import Conversation, NewJob, Status
from bot.preferences import preference
from bot.rendering import Renderer
from storage.base import BaseStorage


@dataclass(frozen=True)
class Audience:
    """Who a transition is told to, looked up before the conversation is re-read."""

    language: str = ""
    mention_users: tuple[str, ...] = ()
    mention_here: bool = False
    #: whether a missed conversation is announced at all (the inbox's ``missed_notify``)
    notify_missed: bool = True


def stamp(conv: Conversation, verb: str, now: datetime, *, by: str = "", **more: str) -> None:
    """Record a status change as the card shows it (``last_action``, like operator actions)
    and number it, so the jobs it causes get their own dedupe keys."""
    conv.extra["last_action"] = {"verb": verb, "by": by, "at": now.isoformat(), **more}
    conv.extra["transitions"] = int(conv.extra.get("transitions", 0)) + 1


def mark_reopened(conv: Conversation, message_id: int, now: datetime) -> None:
    """The customer wrote in a closed conversation (see ``timers.reopened_status``)."""
    conv.status = reopened_status(conv)
    conv.extra["reopened_at"] = now.isoformat()
    conv.extra["reopened_by_message"] = message_id
    conv.extra.pop("missed_at", None)
    stamp(conv, "reopened_by_customer", now)


def mark_reactivated(conv: Conversation, now: datetime, *, by: str) -> None:
    """Someone wrote in an inactive conversation (``by`` is the operator, or empty)."""
    conv.status = Status.ACTIVE
    stamp(conv, "reactivated", now, by=by)


def card_refresh(conv: Conversation) -> NewJob:
    return jobs.refresh_card(conv, f"card:{conv.id}:{conv.extra.get('transitions', 0)}")


class TransitionEffects:
    def __init__(self, *, storage: BaseStorage, renderer: Renderer) -> None:
        self.storage, self.renderer = storage, renderer

    async def audience(self, conv: Conversation, policy: LifecyclePolicy) -> Audience:
        customer = await self.storage.get_customer(conv.key)
        language = customer.language if customer else ""
        inbox = conv.key.inbox
        target = await preference(self.storage, "missed_notify", inbox)
        if target not in ("owner", "channel", "none"):  # the policy logged it as invalid
            target = policy.missed_notify
        if target == "none":
            return Audience(language, notify_missed=False)
        if target == "owner":
            if owner := await preference(self.storage, "default_owner", inbox):
                return Audience(language, (owner,))
            pool = await preference(self.storage, "default_pool", inbox)
            members = await self.storage.get_pool(pool) if pool else None
            if members:
                return Audience(language, tuple(members))
        return Audience(language, mention_here=True)

    def apply(self, conv: Conversation, fired: Transition, now: datetime,
              policy: LifecyclePolicy, audience: Audience) -> list[NewJob]:
        """Mark ``conv`` for ``fired`` (the caller saves it).

        :return: the jobs that announce it, the card refresh last
        """
        if fired is Transition.MISSED:
            conv.extra["missed_at"] = now.isoformat()
            conv.extra["transitions"] = int(conv.extra.get("transitions", 0)) + 1
            announce = self._missed_notice(conv, policy, audience)
        elif fired is Transition.INACTIVE:
            conv.status = Status.INACTIVE
            stamp(conv, "went_inactive", now)
            announce = []
        else:
            announce = self._close(conv, fired, now, policy, audience)
        return [*announce, card_refresh(conv)]

    def _missed_notice(self, conv: Conversation, policy: LifecyclePolicy,
                       audience: Audience) -> list[NewJob]:
        if not audience.notify_missed or policy.missed_after is None:
            return []
        text = self.renderer.render(
            "slack/lifecycle_missed.mrkdwn", mention_users=list(audience.mention_users),
            mention_here=audience.mention_here, waited=human_duration(policy.missed_after))
        dedupe = f"missed:{conv.id}:{waiting_since(conv).isoformat()}"
        return [jobs.notice(conv, text, dedupe)]

    def _close(self, conv: Conversation, fired: Transition, now: datetime,
               policy: LifecyclePolicy, audience: Audience) -> list[NewJob]:
        idle = fired is Transition.IDLE_CLOSE
        why = "idle" if idle else "missed"
        conv.status = Status.CLOSED
        if not idle:
            conv.extra.setdefault("missed_at", now.isoformat())
        stamp(conv, "auto_closed", now, why=why)
        number = conv.extra["transitions"]
        told = idle and policy.idle_close_notify
        waited = (policy.idle_close_after if idle
                  else (policy.missed_after or timedelta(0)) + policy.missed_close_after)
        text = self.renderer.render("slack/lifecycle_closed.mrkdwn", why=why,
                                    waited=human_duration(waited) if waited else "",
                                    customer_told=told,
                                    reopen_within=human_duration(policy.reopen_within))
        out = [jobs.notice(conv, text, f"autoclose:{conv.id}:{number}")]
        if told:
            farewell = jobs.CustomerText("idle_closed",
                                     self.renderer.language_for(audience.language))
            out.insert(0, jobs.send_text(conv.key, farewell, f"idle_closed:{conv.id}:{number}",
                                         conv_id=conv.id))
        return out
