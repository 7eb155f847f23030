"""Makes every delivery that failed for good visible: the message is marked failed and a
⚠️ note with the reason goes into the conversation's thread."""

from __future__ import annotations

from bot import jobs, loggers
from bot.lifecycle.clock import Clock
from bot.models import Delivery, Job
from bot.outbox import Outbox
from bot.rendering import Renderer
from storage.base import BaseStorage

# failures of these are told in the conversation's thread
TO_CUSTOMER = {jobs.SEND, jobs.EDIT, jobs.DELETE, jobs.SEND_TEXT, jobs.CRM_WEBHOOK}


class FailureReporter:
    def __init__(self, *, storage: BaseStorage, renderer: Renderer, clock: Clock,
                 outbox: Outbox) -> None:
        self.storage, self.renderer, self.clock, self.outbox = storage, renderer, clock, outbox

    async def __call__(self, job: Job, reason: str) -> None:
        conv_id = await self._mark_message(job, reason)
        conv = await self.storage.get_conversation(conv_id) if conv_id else None
        if job.kind in TO_CUSTOMER and conv is not None:
            target = "crm" if job.kind == jobs.CRM_WEBHOOK else "customer"
            text = self.renderer.render("slack/delivery_failed.mrkdwn", reason=reason,
                                        hint="", target=target)
            await self.storage.enqueue([jobs.notice(conv, text, f"failed:{job.id}")],
                                       now=self.clock.now().timestamp())
            self.outbox.notify()
        elif job.kind not in TO_CUSTOMER:
            loggers.slack.error("a %s job failed for good and cannot be shown in a thread "
                                "(conversation %s)", job.kind, conv_id or "?")

    async def _mark_message(self, job: Job, reason: str) -> int:
        if "message_id" not in job.payload:
            return int(job.payload.get("conversation_id") or 0)
        msg = await self.storage.get_message(int(job.payload["message_id"]))
        if msg is None:
            return 0
        if job.kind in (jobs.SEND, jobs.RELAY_IN):
            msg.delivery, msg.failure = Delivery.FAILED, reason
            await self.storage.save_message(msg)
        return msg.conversation_id
