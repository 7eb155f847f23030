"""Use-cases of the bot: what happens when a customer or an operator does something.

It sees only the store, the outbox and rendered text; frameworks stay in handlers/.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot import jobs
from bot.access import Access
from bot.lifecycle.clock import Clock
from bot.metrics import Metrics
from bot.models import (
    Conversation,
    Direction,
    InboundMessage,
    Message,
    NewJob,
    OperatorMessage,
)
from bot.outbox import Outbox
from bot.rendering import Renderer
from storage.base import BaseStorage, Reuse

SEEN_TTL = 7 * 24 * 3600.0
_LEADING_MENTION = re.compile(r"^\s*<@[UW][A-Z0-9]+(\|[^>]*)?>")


@dataclass(frozen=True)
class CommandContext:
    conversation: Conversation
    message: OperatorMessage
    args: str


CommandHandler = Callable[[CommandContext], Awaitable[None]]
MessageHook = Callable[[Conversation, Message], Awaitable[None]]
IntakeGate = Callable[[InboundMessage], Awaitable[bool]]
ReplyCheck = Callable[[Conversation, OperatorMessage], Awaitable[str]]
ReplyHook = Callable[[Conversation, str], Awaitable[None]]


def digest(text: str) -> str:
    """A short stable fingerprint for dedupe keys (``hash()`` differs between processes)."""
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def classify(text: str) -> str:
    """``command`` (``!…``), ``note`` (``//…`` or a leading teammate mention) or ``reply``."""
    stripped = text.lstrip()
    if stripped.startswith("!"):
        return "command"
    if stripped.startswith("//") or _LEADING_MENTION.match(stripped):
        return "note"
    return "reply"


class ConversationEvents:
    def __init__(self, *, storage: BaseStorage, outbox: Outbox, renderer: Renderer,
                 clock: Clock, metrics: Metrics, access: Access = Access()) -> None:
        self.storage, self.outbox, self.renderer = storage, outbox, renderer
        self.clock, self.metrics = clock, metrics
        self.access = access
        self.commands: dict[str, CommandHandler] = {"help": self._help, "note": self._note}
        self.command_help: list[str] = []
        #: called with every stored customer message and operator reply
        self.message_hooks: list[MessageHook] = []
        #: called when an operator's reply was queued for the customer
        self.reply_hooks: list[ReplyHook] = []
        #: asked before a customer message is stored; False turns it away (the gate
        #: answers the customer itself)
        self.intake_gates: list[IntakeGate] = []
        #: asked before an operator's reply is relayed; a non-empty answer is the reason it
        #: may not go out, posted as a warning in the thread
        self.reply_checks: list[ReplyCheck] = []
        #: decides whether a customer's current conversation takes a new message
        self.reuse: Reuse | None = None

    # -- customers -----------------------------------------------------------------------
    async def _admitted(self, inbound: InboundMessage) -> bool:
        for gate in self.intake_gates:
            if not await gate(inbound):
                return False
        return True

    async def on_customer_message(self, inbound: InboundMessage) -> None:
        if not await self._admitted(inbound):
            return
        got = await self.storage.ingest(inbound, now=self.clock.now(), seen_ttl=SEEN_TTL,
                                        plan=lambda conv, msg, _: [jobs.relay_in(conv, msg)],
                                        reuse=self.reuse)
        if got is not None:
            self.metrics.messages_in.labels(inbound.key.channel).inc()
            self.outbox.notify()
            await self._run_message_hooks(got.conversation, got.message)

    async def on_customer_edit(self, inbound: InboundMessage) -> None:
        conv = await self.storage.current_conversation(inbound.key)
        msg = conv and await self.storage.find_message_by_channel_id(conv.id, inbound.message_id)
        if not conv or not msg or msg.text == inbound.text:
            return
        msg.text, msg.edited = inbound.text, True
        await self.storage.save_message(msg)
        await self._enqueue([jobs.for_message(jobs.MIRROR_EDIT, msg, inbound.event_key,
                                              inbox=conv.key.inbox)])

    async def on_start(self, inbound: InboundMessage) -> None:
        if not await self._admitted(inbound):
            return  # e.g. intake is closed: the gate told the customer instead
        if not await self.storage.mark_seen(inbound.event_key, SEEN_TTL):
            return  # a redelivered /start: greet once
        first_name = inbound.customer.name.split(" ")[0]
        greeting = jobs.CustomerText(
            "greeting", self.renderer.language_for(inbound.customer.language),
            {"name": first_name})
        await self._enqueue([jobs.send_text(inbound.key, greeting, inbound.event_key)])

    # -- operators ------------------------------------------------------------------------
    async def on_operator_message(self, message: OperatorMessage) -> bool:
        """:return: True when the message was stored, and ``message.delivery_keys`` with
        it in the same transaction (the delivery needs recording no more)."""
        conv = await self.storage.thread_for_new_message(message.slack_channel,
                                                         message.thread_ts, message.ts)
        if conv is None:
            return False  # not a conversation thread, or a redelivery of a stored message
        kind = classify(message.text)
        if kind == "command":
            return await self._run_command(conv, message)
        if kind == "note":
            await self._store(conv, message, Direction.NOTE)
        elif not self.access.may_operate(message.user):
            await self.whisper(message, self.renderer.render("slack/not_an_operator.mrkdwn"))
            return False
        elif reason := await self._reply_refusal(conv, message):
            await self._store(conv, message, Direction.NOTE)
            text = self.renderer.render("slack/reply_blocked.mrkdwn", reason=reason)
            await self._enqueue([jobs.notice(conv, text, f"blocked:{message.ts}")])
        else:
            await self._relay_reply(conv, message)
        return True

    async def _reply_refusal(self, conv: Conversation, message: OperatorMessage) -> str:
        for check in self.reply_checks:
            if reason := await check(conv, message):
                return reason
        return ""

    async def on_operator_edit(self, slack_channel: str, ts: str, text: str,
                               rich_text: Sequence[Mapping[str, Any]] = ()) -> None:
        msg = await self.storage.find_message_by_slack_ts(slack_channel, ts)
        if msg is None or msg.direction is not Direction.OUT or msg.text == text:
            return
        msg.text, msg.edited = text, True
        msg.rich_text = [dict(block) for block in rich_text]
        await self.storage.save_message(msg)
        dedupe = f"edit:{msg.id}:{digest(text)}"
        await self._enqueue([jobs.for_message(jobs.EDIT, msg, dedupe)])

    async def on_operator_delete(self, slack_channel: str, ts: str) -> None:
        msg = await self.storage.find_message_by_slack_ts(slack_channel, ts)
        if msg is None or msg.direction is not Direction.OUT or msg.deleted:
            return
        msg.deleted = True
        await self.storage.save_message(msg)
        await self._enqueue([jobs.for_message(jobs.DELETE, msg, f"delete:{msg.id}")])

    async def _relay_reply(self, conv: Conversation, message: OperatorMessage) -> None:
        now = self.clock.now()
        conv.last_operator_at = now
        conv.first_response_at = conv.first_response_at or now
        conv.operator_streak += 1
        msg = await self._store(
            conv, message, Direction.OUT,
            lambda msg: [jobs.for_message(jobs.SEND, msg, f"send:{msg.slack_ts}")],
            save_conversation=True)
        self.outbox.notify()
        for hook in self.reply_hooks:
            await hook(conv, message.user)
        await self._run_message_hooks(conv, msg)

    async def _run_message_hooks(self, conv: Conversation, msg: Message) -> None:
        for hook in self.message_hooks:
            await hook(conv, msg)

    async def _store(self, conv: Conversation, message: OperatorMessage, direction: Direction,
                     plan: Callable[[Message], list[NewJob]] = lambda _: [],
                     *, save_conversation: bool = False) -> Message:
        msg = Message(id=0, conversation_id=conv.id, direction=direction, author=message.user,
                      created_at=self.clock.now(), text=message.text,
                      attachments=message.files + message.shared, slack_ts=message.ts,
                      slack_channel=message.slack_channel,
                      rich_text=[dict(block) for block in message.rich_text])
        stored, _ = await self.storage.add_message(
            msg, plan, conversation=conv if save_conversation else None,
            seen=message.delivery_keys, seen_ttl=message.delivery_ttl)
        return stored

    # -- commands ---------------------------------------------------------------------------
    async def _run_command(self, conv: Conversation, message: OperatorMessage) -> bool:
        """:return: True when the command was stored (see ``on_operator_message``)."""
        name, _, args = message.text.lstrip()[1:].partition(" ")
        handler = self.commands.get(name.lower())
        if handler is None:
            text = self.renderer.render("slack/unknown_command.mrkdwn", command=f"!{name}")
            await self.whisper(message, text)
            return False
        if name.lower() != "help" and not self.access.may_operate(message.user):
            await self.whisper(message, self.renderer.render("slack/not_an_operator.mrkdwn"))
            return False
        await handler(CommandContext(conv, message, args.strip()))
        if name.lower() != "note":  # stored so a redelivered command does not run twice
            await self._store(conv, message, Direction.NOTE)
        return True  # ``!note`` stored itself

    async def _help(self, ctx: CommandContext) -> None:
        text = self.renderer.render("slack/command_help.mrkdwn", extra_commands=self.command_help)
        await self.whisper(ctx.message, text)

    async def _note(self, ctx: CommandContext) -> None:
        await self._store(ctx.conversation, ctx.message, Direction.NOTE)

    # -- helpers ------------------------------------------------------------------------------
    async def whisper(self, message: OperatorMessage, text: str) -> None:
        dedupe = f"whisper:{message.ts}:{digest(text)}"
        await self._enqueue([jobs.whisper(message.user, text, message.thread_ts, dedupe,
                                          channel=message.slack_channel)])

    async def whisper_user(self, user: str, text: str, thread_ts: str, *,
                           channel: str) -> None:
        """A private answer to a button click or modal (repeated clicks answer once), in
        ``channel``."""
        dedupe = f"whisper:{user}:{channel}:{thread_ts}:{digest(text)}"
        await self._enqueue([jobs.whisper(user, text, thread_ts, dedupe, channel=channel)])

    async def _enqueue(self, new_jobs: list[NewJob]) -> None:
        await self.storage.enqueue(new_jobs, now=self.clock.now().timestamp())
        self.outbox.notify()
