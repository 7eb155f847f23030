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
}


async def preference(storage: BaseStorage, name: str) -> Any:
    value = await storage.get_setting(f"pref:{name}")
    return DEFAULTS[name] if value is None else value


async def set_preference(storage: BaseStorage, name: str, value: Any) -> None:
    if name not in DEFAULTS:
        raise KeyError(name)
    await storage.set_setting(f"pref:{name}", value)
