"""The card's billing lines: one per provider, from what the store holds."""

from __future__ import annotations

from bot.billing.money import format_money
from bot.billing.service import CustomerContext, Lookup
from bot.billing.summary import summarize
from bot.lifecycle.clock import Clock
from bot.models import Conversation
from bot.rendering import Renderer


def provider_label(renderer: Renderer, provider: str) -> str:
    return renderer.render("slack/billing/provider_name.txt", provider=provider).strip()


def card_line(renderer: Renderer, lookup: Lookup, clock: Clock) -> str:
    ctx = lookup.context
    summary = summarize(ctx, clock.now().date()) if ctx is not None else None
    balance = format_money(ctx.balance) if ctx is not None and ctx.balance is not None else ""
    return renderer.render("slack/billing/card_line.mrkdwn", state=lookup.state,
                           provider=provider_label(renderer, lookup.provider),
                           summary=summary, balance=balance, choices=lookup.choices,
                           error=lookup.error, retry_after=lookup.retry_after)


class BillingLines:
    def __init__(self, *, context: CustomerContext, renderer: Renderer, clock: Clock) -> None:
        self.context, self.renderer, self.clock = context, renderer, clock

    async def __call__(self, conv: Conversation) -> list[str]:
        return [card_line(self.renderer, lookup, self.clock)
                for lookup in await self.context.lookups(conv)]
