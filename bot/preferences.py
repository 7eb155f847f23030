"""Desk preferences managers change at run time. They live in the store (both backends),
so a change takes effect at once in every process; these are the defaults."""

from __future__ import annotations

from typing import Any

from storage.base import BaseStorage

DEFAULTS: dict[str, Any] = {
    # show "<b>Ann</b>: " before an operator's reply on the customer's side
    "show_operator_name": True,
    # emoji added to an operator's message once it reached the customer ("" = none)
    "delivery_reaction": "white_check_mark",
    # tell the customer when an operator accepts the conversation
    "notify_on_accept": True,
    # send the goodbye template when an operator closes the conversation
    "goodbye_on_close": True,
    # -- leads --
    "default_owner": "",
    "default_pool": "",
    "default_status": "New",
    "statuses": ["New", "Contacted", "Qualified", "Unqualified"],
    "sources": ["Telegram", "WeChat", "Web chat", "Lead form", "Google Ads"],
    # a lead's source when the operator names none, by the customer's channel
    "source_by_channel": {"telegram": "Telegram", "wechat": "WeChat", "webchat": "Web chat"},
    # with no default owner or pool: the creating operator owns the lead (True), or the
    # first of SLACK_MANAGERS (False)
    "operators_are_crm_users": True,
    # when False only managers may pick an owner other than the default or themselves
    "operators_may_assign_any_owner": True,
    # attach the transcript to a new lead and append later messages to its feed
    "history_sync": True,
    # what the lead line on the card shows, in order
    "card_lead_fields": ["id", "owner", "status", "source"],
}


async def preference(storage: BaseStorage, name: str) -> Any:
    value = await storage.get_setting(f"pref:{name}")
    return DEFAULTS[name] if value is None else value


async def set_preference(storage: BaseStorage, name: str, value: Any) -> None:
    if name not in DEFAULTS:
        raise KeyError(name)
    await storage.set_setting(f"pref:{name}", value)
