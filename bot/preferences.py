"""Desk preferences managers change at run time. They live in the store (both backends),
so a change takes effect at once in every process; these are the defaults."""

from __future__ import annotations

from typing import Any

from storage import keys
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

# -- lifecycle timers (bot/lifecycle) and channel messaging policies (bot/policies.py) --
# Durations are seconds or "90s" / "15m" / "24h" / "7d"; "0" turns an optional timer off.
# An invalid value is logged and its default used (bot/lifecycle/policy.py validates).
DEFAULTS.update({
    # a `new` conversation no operator answered within this is flagged missed ("0" = never)
    "missed_after": "15m",
    # who a missed conversation pings in its thread: "owner" (the default owner, else the
    # default pool's members, else @here), "channel" (@here) or "none"
    "missed_notify": "owner",
    # a missed conversation still unanswered this long after it was flagged is closed
    # (15m to 30d)
    "missed_close_after": "24h",
    # an `active` conversation where nobody wrote (or acted) this long is closed (up to 24h;
    # "0" = never)
    "idle_close_after": "24h",
    # tell the customer when their conversation was closed for inactivity
    "idle_close_notify": True,
    # an `active` conversation with no interaction this long becomes `inactive` ("0" = never)
    "inactive_after": "15d",
    # after a close, the customer's next message reopens the same thread when the thread is
    # younger than this; else a new thread opens, linking to the old one ("0" = always new)
    "reopen_within": "7d",
    # per channel kind: "window" (a duration after the customer's last message, in which
    # operators may answer), "quota" (operator messages per customer message inside it),
    # "media" ({kind: {"max_mb": …, "formats": [...]}}; files of other formats are refused).
    # Merged per channel and per key over the channel's own rules (its capabilities, then
    # the inbox's overrides); {"wechat": null} lifts WeChat's rules.
    "channel_policies": {},
})

# -- the managers' desk settings (bot/manager, changed with /leads) --
DEFAULTS.update({
    # vacation mode: {} when not paused, else {"id", "since", "until" ("" = until resumed),
    # "message", "by"}; customers who write get the away template once per pause
    "pause": {},
    # business hours as `/leads hours` reads them, e.g. "Mon-Fri 09:00-18:00 tz=Europe/Paris";
    # "" = none (always open; the stats then count 07:00-21:00 UTC as business hours)
    "business_hours": "",
    # channels whose new customers are turned away with the intake-closed template
    "intake_closed": [],
})


#: what may differ per inbox; every other preference is desk-wide only
INBOX_SCOPED = frozenset({"pause", "business_hours", "intake_closed", "default_owner",
                          "default_pool", "default_status", "source_by_channel",
                          "missed_notify"})


async def preference(storage: BaseStorage, name: str, inbox: str = "") -> Any:
    """The value in force: the inbox's own when it has one, else the desk-wide one, else
    the default. ``inbox`` is ignored for the settings that are desk-wide only."""
    if inbox and name in INBOX_SCOPED:
        own = await storage.get_setting(keys.preference(name, inbox))
        if own is not None:
            return own
    value = await storage.get_setting(keys.preference(name))
    return DEFAULTS[name] if value is None else value


async def own_preference(storage: BaseStorage, name: str, inbox: str) -> Any | None:
    """The inbox's own value, or None when it inherits the desk-wide one."""
    return await storage.get_setting(keys.preference(name, inbox))


async def set_preference(storage: BaseStorage, name: str, value: Any, inbox: str = "") -> None:
    """Set the desk-wide value, or with ``inbox`` that inbox's own."""
    if name not in DEFAULTS or (inbox and name not in INBOX_SCOPED):
        raise KeyError(name)
    await storage.set_setting(keys.preference(name, inbox), value)
