"""What operators do with the billing context in a thread: the ``!customer`` command and
the Customer modal's views (the listeners open and update them through the workspace)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.access import Access
from bot.billing.card import card_line, provider_label
from bot.billing.service import CHOSEN, EMAIL, CustomerContext
from bot.conversation_events import CommandContext, ConversationEvents
from bot.formatting import slack_to_plain_text
from bot.lifecycle.clock import Clock
from bot.models import Conversation
from bot.rendering import Renderer
from bot.slack.billing_blocks import ModalState, Section, customer_modal
from bot.slack.modals import View, parse_texts
from storage.base import BaseStorage


class CustomerPanel:
    def __init__(self, *, storage: BaseStorage, context: CustomerContext,
                 conversations: ConversationEvents,
                 renderer: Renderer, clock: Clock, access: Access) -> None:
        self.storage, self.context, self.conversations = storage, context, conversations
        self.renderer, self.clock, self.access = renderer, clock, access

    def install(self) -> None:
        """``!customer``, the lookup on every message of an active thread, and after
        ``!lead`` (which may have given the email)."""
        self.conversations.commands["customer"] = self._cmd_customer
        self.conversations.command_help.extend(
            self.renderer.render("slack/billing/command_help.mrkdwn").splitlines())
        self.conversations.message_hooks.append(self.context.on_message)
        if (lead := self.conversations.commands.get("lead")) is not None:
            self.conversations.commands["lead"] = self._then_lookup(lead)

    def _then_lookup(self, command: Callable[[CommandContext], Awaitable[None]],
                     ) -> Callable[[CommandContext], Awaitable[None]]:
        async def run(ctx: CommandContext) -> None:
            await command(ctx)
            if conv := await self.storage.get_conversation(ctx.conversation.id):
                await self.context.ensure(conv)
        return run

    async def _cmd_customer(self, ctx: CommandContext) -> None:
        """``!customer`` looks up again now; ``!customer email@…`` links the customer with
        that email; ``!customer <id>`` picks one of several matches."""
        conv, arg = ctx.conversation, slack_to_plain_text(ctx.args).strip().lower()
        if "@" in arg:
            conv.extra[EMAIL] = conv.extra[CHOSEN] = arg
        elif arg:
            conv.extra[CHOSEN] = arg
        if arg:
            await self.storage.save_conversation(conv)
        await self.context.ensure(conv, force=True)
        text = self.renderer.render("slack/billing/looking_up.mrkdwn", email=conv.extra.get(
            EMAIL, ""), known=bool(await self.context.lookup_of(conv)))
        await self.conversations.whisper(ctx.message, text)

    # -- the Customer modal --------------------------------------------------------------
    async def customer_view(self, state: ModalState, user: str) -> View | None:
        """The modal on ``state``'s tab; None when ``user`` may not see it (told why) or
        the card is not the conversation's own."""
        conv = await self.storage.get_conversation(state.card.conversation_id)
        card = state.card
        if conv is None or not card.matches(conv):
            return None
        if not self.access.may_operate(user):
            await self.conversations.whisper_user(
                user, self.renderer.render("slack/not_an_operator.mrkdwn"), conv.thread_ts,
                channel=conv.slack_channel)
            return None
        await self.context.ensure(conv)  # an expired context is fetched again
        texts = parse_texts(self.renderer.render("slack/billing/customer_modal.txt"))
        return customer_modal(state, await self._sections(conv), texts,
                              self.clock.now().date())

    async def _sections(self, conv: Conversation) -> list[Section]:
        sections = []
        cached = {lookup.provider: lookup for lookup in await self.context.lookups(conv)}
        for name in self.context.providers:
            lookup = cached.get(name)
            label = provider_label(self.renderer, name)
            if lookup is None:
                sections.append(Section(label))
            elif lookup.context is not None:
                sections.append(Section(label, lookup.context))
            else:
                sections.append(Section(label, note=card_line(self.renderer, lookup,
                                                               self.clock)))
        return sections
