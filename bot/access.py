"""Who may do what in Slack: operators answer and act; managers may do everything."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Access:
    #: may answer and act; empty means anyone in the channel
    operators: frozenset[str] = frozenset()
    #: may do everything; the order matters (the first one is the fallback lead owner)
    managers: tuple[str, ...] = ()

    def may_operate(self, user: str) -> bool:
        return not self.operators or user in self.operators or user in self.managers

    def is_manager(self, user: str) -> bool:
        return user in self.managers

    @property
    def first_manager(self) -> str:
        return self.managers[0] if self.managers else ""
