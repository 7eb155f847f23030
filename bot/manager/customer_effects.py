"""What the desk settings do to customers, through ``ConversationEvents``' hooks: the away
reply while paused, the out-of-hours reply outside business hours, and intake switched off.

Each automatic reply goes at most once per conversation per pause (its id) or per closed
period (the next opening instant). The guard is ``mark_seen`` on the reply's dedupe key, an
atomic test-and-set in the store shared by every process, so concurrent messages never send
two; the reply is then also recorded in ``conv.extra``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from bot import jobs
from bot.conversation_events import ConversationEvents
from bot.lifecycle.clock import Clock
from bot.manager.hours import BusinessHours, moment
from bot.manager.state import PauseState, business_hours, current_pause, intake_closed
from bot.models import Conversation, Direction, InboundMessage, Job, Message, NewJob, Status
from bot.outbox import Handler, Outbox
from bot.rendering import Renderer
from storage import keys
from storage.base import BaseStorage

AWAY_TTL = 400 * 86400.0
OUT_OF_HOURS_TTL = 8 * 86400.0
INTAKE_TTL = 2 * 86400.0


def mark_conversation(conv: Conversation, marks: dict[str, Any], dedupe_key: str) -> NewJob:
    """Merge ``marks`` into the conversation's ``extra``. Ordered on the conversation's
    Slack key, so it runs after the relay_in job of the same message: that job opens the
    thread and saves the whole conversation, and would otherwise overwrite the marks."""
    return NewJob(jobs.MARK, {"conversation_id": conv.id, "marks": marks}, dedupe_key,
                  jobs.to_slack(conv.id, conv.key.inbox))


class CustomerEffects:
    def __init__(self, *, storage: BaseStorage, outbox: Outbox, renderer: Renderer,
                 clock: Clock) -> None:
        self.storage, self.outbox, self.renderer, self.clock = storage, outbox, renderer, clock

    def install(self, conversations: ConversationEvents) -> None:
        conversations.message_hooks.append(self.on_message)
        conversations.intake_gates.append(self.admit)

    def handlers(self) -> Mapping[str, Handler]:
        return {jobs.MARK: self.apply_marks}

    # -- pause and business hours ----------------------------------------------------------
    async def on_message(self, conv: Conversation, msg: Message) -> None:
        """Customer messages only; a declined conversation gets no automatic answer."""
        if msg.direction is not Direction.IN or conv.status is Status.DECLINED:
            return
        now = self.clock.now()
        hours = await business_hours(self.storage, conv.key.inbox)
        if (pause := await current_pause(self.storage, now, conv.key.inbox)) is not None:
            await self._away(conv, pause, hours)
        elif hours is not None and not hours.is_open(now):
            await self._out_of_hours(conv, hours, now)

    async def _away(self, conv: Conversation, pause: PauseState,
                    hours: BusinessHours | None) -> None:
        if conv.extra.get("away_sent") == pause.id:
            return
        end = pause.end()
        back = asdict(moment(end, hours.tz if hours else "UTC")) if end else None
        await self._reply_once(conv, keys.away_reply(conv.id, pause.id), "away",
                               {"away_message": pause.message, "back": back},
                               {"arrived_while_paused": pause.id, "away_sent": pause.id},
                               AWAY_TTL)

    async def _out_of_hours(self, conv: Conversation, hours: BusinessHours,
                            now: datetime) -> None:
        opening = hours.next_opening(now)
        period = opening.isoformat() if opening else "never"
        if opening is None or conv.extra.get("out_of_hours_sent") == period:
            return
        await self._reply_once(conv, keys.out_of_hours_reply(conv.id, period), "out_of_hours",
                               {"opening": asdict(hours.moment(opening))},
                               {"out_of_hours_sent": period}, OUT_OF_HOURS_TTL)

    async def _reply_once(self, conv: Conversation, key: str, purpose: str,
                          context: dict[str, Any], marks: dict[str, Any], ttl: float) -> None:
        # Test-and-set first: a crash right after it loses this one reply, never doubles it.
        if not await self.storage.mark_seen(key, ttl):
            return
        customer = await self.storage.get_customer(conv.key)
        language = self.renderer.language_for(customer.language if customer else "")
        text = jobs.CustomerText(purpose, language, context)
        await self._enqueue([jobs.send_text(conv.key, text, key, conv_id=conv.id),
                             mark_conversation(conv, marks, f"mark:{key}")])

    async def apply_marks(self, job: Job) -> None:
        conv = await self.storage.get_conversation(int(job.payload["conversation_id"]))
        if conv is not None:
            conv.extra.update(job.payload["marks"])
            await self.storage.save_conversation(conv)

    # -- intake ------------------------------------------------------------------------------
    async def admit(self, inbound: InboundMessage) -> bool:
        """False turns a new customer away while their channel's intake is off."""
        if not await intake_closed(self.storage, inbound.key.channel, inbound.key.inbox):
            return True
        if await self.storage.current_conversation(inbound.key) is not None:
            return True  # existing conversations continue
        # told once a day, not on every message they send
        key = keys.intake_closed_reply(inbound.key, self.clock.now().date().isoformat())
        if await self.storage.mark_seen(key, INTAKE_TTL):
            text = jobs.CustomerText("intake_closed",
                                     self.renderer.language_for(inbound.customer.language))
            await self._enqueue([jobs.send_text(inbound.key, text, key)])
        return False

    async def _enqueue(self, new_jobs: list[NewJob]) -> None:
        await self.storage.enqueue(new_jobs, now=self.clock.now().timestamp())
        self.outbox.notify()
