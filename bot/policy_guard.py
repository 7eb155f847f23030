"""Applies the channel policies (``bot/policies.py``) to the desk: an operator's reply that
would break one is not sent (a ``ConversationEvents`` reply check, with the reason and what
to do), the card shows the window and quota left, and it is refreshed whenever either side
writes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot import jobs, loggers
from bot.cards import channel_label
from bot.lifecycle.clock import Clock
from bot.durations import human_duration
from bot.models import (
    SHARED_MESSAGE,
    Conversation,
    ConversationKey,
    Direction,
    Message,
    OperatorMessage,
    Status,
)
from bot.outbox import Outbox
from bot.policies import (
    MB,
    NO_POLICY,
    ChannelPolicy,
    Violation,
    channel_policies,
    merge_policy_docs,
    message_cost,
    quota_left,
    reply_violation,
    window_end,
)
from bot.preferences import preference
from bot.rendering import Renderer
from storage.base import BaseStorage


def _mb(size: int) -> str:
    return f"{size / MB:.1f}".removesuffix(".0")


class PolicyGuard:
    """:param channel_rules: each channel kind's own rules as policy documents (from its
        capabilities)
    :param inbox_rules: per inbox name, its overrides of them (``Inbox.policies``)
    """

    def __init__(self, *, storage: BaseStorage, outbox: Outbox, renderer: Renderer,
                 clock: Clock, channel_rules: Mapping[str, Any] | None = None,
                 inbox_rules: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.storage, self.outbox, self.renderer, self.clock = storage, outbox, renderer, clock
        self._channel_rules = dict(channel_rules or {})
        self._inbox_rules = {name: self._inbox_layer(name, rules)
                             for name, rules in (inbox_rules or {}).items()}
        self._parsed: dict[str, tuple[Any, dict[str, ChannelPolicy]]] = {}

    def _inbox_layer(self, inbox: str, rules: Mapping[str, Any]) -> dict[str, Any]:
        merged, problems = merge_policy_docs(self._channel_rules, rules)
        for problem in problems:
            loggers.lifecycle.warning("invalid channel policy of inbox %s, using the "
                                      "channel's own: %s", inbox, problem)
        return dict(merged)

    async def policy_for(self, key: ConversationKey) -> ChannelPolicy:
        configured = await preference(self.storage, "channel_policies")
        return self._policies(key.inbox, configured).get(key.channel, NO_POLICY)

    def _policies(self, inbox: str, configured: Any) -> dict[str, ChannelPolicy]:
        """Parsed once per inbox and stored value (every message asks), and its problems
        logged once."""
        cached = self._parsed.get(inbox)
        if cached is not None and cached[0] == configured:
            return cached[1]
        mapping = configured if isinstance(configured, dict) else {}
        if mapping is not configured:
            loggers.lifecycle.warning("channel_policies is not a mapping; using the defaults")
        defaults = self._inbox_rules.get(inbox, self._channel_rules)
        policies, problems = channel_policies(defaults, mapping)
        for problem in problems:
            loggers.lifecycle.warning("invalid channel policy, using its default: %s", problem)
        self._parsed[inbox] = (configured, policies)
        return policies

    # -- ConversationEvents.reply_checks -------------------------------------------------------
    async def check_reply(self, conv: Conversation, message: OperatorMessage) -> str:
        policy = await self.policy_for(conv.key)
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
        policy = await self.policy_for(conv.key)
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

    # -- ConversationEvents.message_hooks ------------------------------------------------------
    async def on_message(self, conv: Conversation, msg: Message) -> None:
        if msg.direction is Direction.NOTE or not conv.has_thread:
            return  # a thread not opened yet gets a fresh card when it opens
        policy = await self.policy_for(conv.key)
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
