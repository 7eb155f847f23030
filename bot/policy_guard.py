"""Applies the channel policies (``bot/policies.py``) to the desk: an operator's reply that
would break one is not sent (a bridge reply check, with the reason and what to do), the
card shows the window and quota left, and it is refreshed whenever either side writes."""

from __future__ import annotations

from typing import Any

from bot import jobs, loggers
from bot.cards import channel_label
from bot.lifecycle.clock import Clock
from bot.durations import human_duration
from bot.models import SHARED_MESSAGE, Conversation, Direction, Message, OperatorMessage, Status
from bot.outbox import Outbox
from bot.policies import (
    MB,
    NO_POLICY,
    ChannelPolicy,
    Violation,
    channel_policies,
    message_cost,
    quota_left,
    reply_violation,
    window_end,
)
from bot.preferences import DEFAULTS, preference
from bot.rendering import Renderer
from storage.base import BaseStorage


def _mb(size: int) -> str:
    return f"{size / MB:.1f}".removesuffix(".0")


class PolicyGuard:
    def __init__(self, *, storage: BaseStorage, outbox: Outbox, renderer: Renderer,
                 clock: Clock) -> None:
        self.storage, self.outbox, self.renderer, self.clock = storage, outbox, renderer, clock
        self._parsed: tuple[Any, dict[str, ChannelPolicy]] | None = None

    async def policy_for(self, channel: str) -> ChannelPolicy:
        configured = await preference(self.storage, "channel_policies")
        return self._policies(configured).get(channel, NO_POLICY)

    def _policies(self, configured: Any) -> dict[str, ChannelPolicy]:
        """Parsed once per stored value (every message asks), and its problems logged once."""
        if self._parsed is not None and self._parsed[0] == configured:
            return self._parsed[1]
        mapping = configured if isinstance(configured, dict) else {}
        if mapping is not configured:
            loggers.lifecycle.warning("channel_policies is not a mapping; using the defaults")
        policies, problems = channel_policies(DEFAULTS["channel_policies"], mapping)
        for problem in problems:
            loggers.lifecycle.warning("invalid channel policy, using its default: %s", problem)
        self._parsed = (configured, policies)
        return policies

    # -- bridge.reply_checks ----------------------------------------------------------------
    async def check_reply(self, conv: Conversation, message: OperatorMessage) -> str:
        policy = await self.policy_for(conv.key.channel)
        found = reply_violation(policy, conv, message.files, self.clock.now())
        return "" if found is None else self.reason(found, conv.key.channel, policy)

    def reason(self, found: Violation, channel: str, policy: ChannelPolicy) -> str:
        context: dict[str, Any] = {"channel_label": channel_label(self.renderer, channel),
                                   **found.details}
        if found.rule == "window_closed":
            context.update(window=human_duration(found.details["window"]),
                           closed_for=human_duration(found.details["closed_for"]))
        elif found.rule == "file_too_large":
            context.update(size_mb=_mb(found.details["size"]),
                           max_mb=_mb(found.details["max_bytes"]))
        elif found.rule == "file_kind":
            context["allowed"] = [{"kind": r.kind, "formats": list(r.formats),
                                   "max_mb": _mb(r.max_bytes)} for r in policy.media or ()]
        return self.renderer.render(f"slack/policy_{found.rule}.mrkdwn", **context)

    # -- the card ---------------------------------------------------------------------------
    async def card_note(self, conv: Conversation) -> str:
        if conv.status is Status.CLOSED:
            return ""  # nothing more is being counted: a stale "41 h left" would mislead
        policy = await self.policy_for(conv.key.channel)
        if not policy.limits_replies:
            return ""
        now, end = self.clock.now(), window_end(policy, conv)
        return self.renderer.render(
            "slack/card_policy.mrkdwn",
            window_left=human_duration(end - now) if end and end > now else "",
            window_closed_for=human_duration(now - end) if end and end <= now else "",
            window_until_ts=int(end.timestamp()) if end else 0,
            window_until=end.strftime("%Y-%m-%d %H:%M UTC") if end else "",
            quota=policy.quota or 0, quota_left=quota_left(policy, conv) or 0)

    # -- bridge.message_hooks -----------------------------------------------------------------
    async def on_message(self, conv: Conversation, msg: Message) -> None:
        if msg.direction is Direction.NOTE or not conv.has_thread:
            return  # a thread not opened yet gets a fresh card when it opens
        policy = await self.policy_for(conv.key.channel)
        if not policy.limits_replies:
            return
        extra = message_cost([a for a in msg.attachments if a.kind != SHARED_MESSAGE]) - 1
        if msg.direction is Direction.OUT and extra and policy.quota is not None:
            # the customer receives one message per file: each counts against the quota
            fresh = await self.storage.require_conversation(conv.id)
            fresh.operator_streak += extra
            await self.storage.save_conversation(fresh)
        refresh = jobs.refresh_card(conv, f"card:msg:{msg.id}")
        await self.storage.enqueue([refresh], now=self.clock.now().timestamp())
        self.outbox.notify()
