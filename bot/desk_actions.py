"""The desk: conversation actions and leads, reachable from buttons, modals and !commands.

Buttons and modals call :class:`DeskActions` through the ``CardActions`` protocol; the same
actions are installed as ``!`` commands on ``ConversationEvents``. Refusals reach the user
privately.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot import loggers
from bot.actions import ConversationActions, Outcome
from bot.conversation_events import ConversationEvents, CommandContext
from bot.formatting import slack_to_plain_text
from bot.leads import LeadOutcome, LeadService, parse_lead_args
from bot.models import CardRef, Conversation, LeadForm, LeadRequest, Message
from bot.rendering import Renderer
from storage.base import BaseStorage


class DeskActions:
    def __init__(self, *, storage: BaseStorage, conversations: ConversationEvents,
                 actions: ConversationActions, leads: LeadService, renderer: Renderer) -> None:
        self.storage, self.conversations, self.actions = storage, conversations, actions
        self.leads, self.renderer = leads, renderer

    def install(self) -> None:
        """Add the desk's ``!`` commands and message hooks to the conversation events."""
        commands: dict[str, Callable[[CommandContext], Awaitable[None]]] = {
            "accept": self._cmd_accept, "decline": self._cmd_decline,
            "reopen": self._cmd_reopen, "close": self._cmd_close, "lead": self._cmd_lead}
        self.conversations.commands.update(commands)
        self.conversations.command_help.extend(
            self.renderer.render("slack/desk_command_help.mrkdwn").splitlines())
        self.conversations.reply_hooks.append(self._on_reply)
        self.conversations.message_hooks.append(self._on_message)

    # -- CardActions (buttons and modals) ------------------------------------------------
    async def accept(self, card: CardRef, user: str) -> None:
        if conv := await self._card_conversation(card, user):
            await self._tell(conv, user, await self.actions.accept(conv, user))

    async def decline_form(self, card: CardRef, user: str) -> bool:
        return await self._card_conversation(card, user) is not None

    async def decline(self, card: CardRef, user: str, *, reason: str, notify: bool) -> None:
        if conv := await self._card_conversation(card, user):
            outcome = await self.actions.decline(conv, user, reason=reason, notify=notify)
            await self._tell(conv, user, outcome)

    async def lead_form(self, card: CardRef, user: str) -> LeadForm | None:
        conv = await self._card_conversation(card, user)
        if conv is None:
            return None
        form = await self.leads.form(conv, user)
        if isinstance(form, str):
            await self.conversations.whisper_user(user, form, conv.thread_ts,
                                           channel=conv.slack_channel)
            return None
        return form

    async def create_lead(self, card: CardRef, user: str, request: LeadRequest) -> None:
        if conv := await self._card_conversation(card, user):
            await self._lead_outcome(conv, user, await self.leads.create(conv, user, request))

    # -- ! commands ----------------------------------------------------------------------
    async def _cmd_accept(self, ctx: CommandContext) -> None:
        await self._tell(ctx.conversation, ctx.message.user,
                         await self.actions.accept(ctx.conversation, ctx.message.user))

    async def _cmd_decline(self, ctx: CommandContext) -> None:
        # the reason arrives in Slack's escaping; the templates escape it for their format
        reason = slack_to_plain_text(ctx.args)
        outcome = await self.actions.decline(ctx.conversation, ctx.message.user,
                                             reason=reason, notify=True)
        await self._tell(ctx.conversation, ctx.message.user, outcome)

    async def _cmd_reopen(self, ctx: CommandContext) -> None:
        await self._tell(ctx.conversation, ctx.message.user,
                         await self.actions.reopen(ctx.conversation, ctx.message.user))

    async def _cmd_close(self, ctx: CommandContext) -> None:
        await self._tell(ctx.conversation, ctx.message.user,
                         await self.actions.close(ctx.conversation, ctx.message.user))

    async def _cmd_lead(self, ctx: CommandContext) -> None:
        conv, user = ctx.conversation, ctx.message.user
        request = parse_lead_args(ctx.args)
        if isinstance(request, str):
            await self.conversations.whisper_user(user, request, conv.thread_ts,
                                           channel=conv.slack_channel)
            return
        updating = conv.lead_id is not None and ctx.args.strip() != ""
        outcome = await (self.leads.update(conv, user, request) if updating
                         else self.leads.create(conv, user, request))
        await self._lead_outcome(conv, user, outcome)

    # -- hooks -----------------------------------------------------------------------------
    async def _on_reply(self, conv: Conversation, user: str) -> None:
        await self.actions.first_reply(conv, user)

    async def _on_message(self, conv: Conversation, msg: Message) -> None:
        await self.leads.record_message(conv, msg)

    # -- helpers -----------------------------------------------------------------------------
    async def _card_conversation(self, card: CardRef, user: str) -> Conversation | None:
        """The conversation whose own root card ``card`` is; else None, and the user is
        told when the conversation exists (a button on a message in another channel or
        on another message, a modal opened elsewhere or by an earlier release)."""
        conv = await self.storage.get_conversation(card.conversation_id)
        if conv is not None and card.matches(conv):
            return conv
        loggers.slack.warning("Refused an action on conversation %s from %s/%s: not its card",
                              card.conversation_id, card.slack_channel or "-",
                              card.card_ts or "-")
        if conv is not None:
            text = self.renderer.render("slack/foreign_card.mrkdwn")
            await self.conversations.whisper_user(user, text, "", channel=card.slack_channel)
        return None

    async def _tell(self, conv: Conversation, user: str, outcome: Outcome) -> None:
        if outcome.refusal:
            await self.conversations.whisper_user(user, outcome.refusal, conv.thread_ts,
                                           channel=conv.slack_channel)

    async def _lead_outcome(self, conv: Conversation, user: str, outcome: LeadOutcome) -> None:
        # a refusal, or "already has Lead #N" / "nothing changed"; successes show in the thread
        if text := outcome.refusal or outcome.message:
            await self.conversations.whisper_user(user, text, conv.thread_ts,
                                           channel=conv.slack_channel)
