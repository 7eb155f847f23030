"""Reading settings from a mapping of names to strings, collecting every problem.

Shared by the core settings (``bot/config.py``) and each channel package's own settings,
so that one :class:`~bot.errors.ConfigError` can list what is wrong everywhere at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

T = TypeVar("T")


class Secret(str):
    """A string whose repr never shows the value, so settings can be logged safely."""

    def __repr__(self) -> str:
        return "Secret('***')" if self else "Secret('')"


class EnvReader:
    """Typed reads of ``env``; a bad value is noted in :attr:`problems` and the default
    taken, so reading goes on and every problem is found in one pass."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def text(self, name: str, default: str = "") -> str:
        return self.env.get(name, "").strip() or default

    def secret(self, name: str) -> Secret:
        return Secret(self.text(name))

    def convert(self, name: str, default: T, parse: Callable[[str], T]) -> T:
        raw = self.text(name)
        if not raw:
            return default
        try:
            return parse(raw)
        except ValueError as exc:
            self.problems.append(f"{name}: {exc}")
            return default

    def require(self, condition: bool, problem: str) -> None:
        if not condition:
            self.problems.append(problem)
