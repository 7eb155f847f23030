"""Typed reads of the desk settings the managers' command writes (pause, business hours,
intake), for one inbox (its own value, else the desk-wide one) or desk-wide. Read from the
store every time, never cached here, so every process sees a change at once."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from bot.manager.hours import BusinessHours, parse_hours
from bot.preferences import preference
from storage.base import BaseStorage


@dataclass(frozen=True, slots=True)
class PauseState:
    id: str
    since: str  # ISO instants
    until: str  # "" = until resumed
    message: str
    by: str

    def end(self) -> datetime | None:
        return datetime.fromisoformat(self.until) if self.until else None

    def active(self, now: datetime) -> bool:
        end = self.end()
        return end is None or now < end

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: Any) -> PauseState | None:
        if not isinstance(raw, dict) or not raw.get("id"):
            return None
        return cls(**{key: str(raw.get(key) or "") for key in
                      ("id", "since", "until", "message", "by")})


async def current_pause(storage: BaseStorage, now: datetime,
                        inbox: str = "") -> PauseState | None:
    """The pause in force at ``now`` (one whose end has passed is over by itself), for
    ``inbox`` ("" = the desk-wide one)."""
    pause = PauseState.from_json(await preference(storage, "pause", inbox))
    return pause if pause is not None and pause.active(now) else None


async def business_hours(storage: BaseStorage, inbox: str = "") -> BusinessHours | None:
    hours = parse_hours(str(await preference(storage, "business_hours", inbox) or ""))
    return hours if isinstance(hours, BusinessHours) else None


async def intake_closed(storage: BaseStorage, channel: str, inbox: str = "") -> bool:
    return channel in (await preference(storage, "intake_closed", inbox) or [])
