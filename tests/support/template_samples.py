"""One context with every variable any template uses, so StrictUndefined catches typos."""

from __future__ import annotations

from typing import Any

SAMPLE_CONTEXT: dict[str, Any] = {
    "customer": {"name": "Ann <!channel> Lee", "username": "ann", "language": "fr"},
    "channel_label": "Telegram",
    "channel": "telegram",
    "status": "new",
    "status_label": "New",
    "assignee": "U1",
    "notes": ["accepted by <@U1>"],
    "text": "hello <@U123> & co",
    "attachment_kinds": ["photo"],
    "attachments": [
        {"kind": "location", "details": {"latitude": 48.85, "longitude": 2.29, "title": "Tour"}},
        {"kind": "contact", "details": {"first_name": "Bo", "last_name": "", "phone_number": "+1"}},
        {"kind": "sticker", "details": {"emoji": "👍"}},
        {"kind": "unsupported", "details": {"type": "poll"}},
    ],
    "edited": True,
    "reason": "the customer blocked the bot",
    "hint": "They must write first.",
    "extra_commands": ["`!accept` accept the conversation"],
    "command": "!frobnicate",
    "name": "Ann",
    "operator": "Sam",
    "body": "<b>hi</b>",
    "lang": "en",
}
