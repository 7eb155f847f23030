"""Reading settings from the environment or from a table of the inbox file, collecting
every problem.

Shared by the core settings (``bot/config.py``) and each channel package's own settings,
so that one :class:`~bot.errors.ConfigError` can list what is wrong everywhere at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
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


_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOML_TYPES = {bool: "true/false", int: "a number", float: "a number", str: "a string",
               list: "a list", dict: "a table"}


def toml_type(value: object) -> str:
    """What a TOML value is, in words (never the value: it may be a secret)."""
    return _TOML_TYPES.get(type(value), "a date or time")


class TableReader:
    """Typed reads of one table of the inbox file at ``where`` (``inboxes.acme.telegram``).

    Problems are named ``where.key`` and collected in ``problems`` (shared with the other
    readers, so one :class:`~bot.errors.ConfigError` lists them all). A secret may be written
    ``"env:NAME"`` to read it from ``env``; no problem ever quotes a value.
    """

    def __init__(self, table: Mapping[str, object], *, where: str, env: Mapping[str, str],
                 problems: list[str]) -> None:
        self.table = table
        self.where = where
        self.env = env
        self.problems = problems

    def name(self, key: str) -> str:
        return f"{self.where}.{key}"

    def problem(self, key: str, text: str) -> None:
        self.problems.append(f"{self.name(key)}: {text}")

    def require(self, condition: bool, problem: str) -> None:
        """Note ``problem`` (``name: what``) unless its setting has one already: an unset
        variable behind ``env:`` is the problem, not the checks the empty value then fails."""
        subject = problem.partition(": ")[0] + ": "
        if not condition and not any(p.startswith(subject) for p in self.problems):
            self.problems.append(problem)

    def text(self, key: str, default: str = "", *, required: bool = False) -> str:
        raw = self._string(key, required=required)
        if raw.startswith("env:"):
            self.problem(key, "env: reads secrets only; write the value itself")
            return default
        return raw or default

    def secret(self, key: str, *, required: bool = False) -> Secret:
        raw = self._string(key, required=required)
        if not raw.startswith("env:"):
            return Secret(raw)
        variable = raw.removeprefix("env:").strip()
        if not _VARIABLE.match(variable):
            self.problem(key, "env: must be followed by an environment variable's name")
            return Secret("")
        value = self.env.get(variable, "").strip()
        if not value:
            self.problem(key, f"the environment variable {variable} is not set")
        return Secret(value)

    def subtable(self, key: str) -> Mapping[str, object]:
        """The table under ``key``; empty when it is absent or not a table (said so)."""
        value = self.table.get(key, {})
        if isinstance(value, Mapping):
            return value
        self.problem(key, f"expected a table, not {toml_type(value)}")
        return {}

    def refuse_unknown(self, known: Collection[str]) -> None:
        for key in self.table:
            if key not in known:
                self.problem(key, f"unknown key; expected {', '.join(known)}")

    def _string(self, key: str, *, required: bool) -> str:
        value = self.table.get(key)
        if value is not None and not isinstance(value, str):
            self.problem(key, f"expected a string, not {toml_type(value)}")
            return ""
        text = (value or "").strip()
        if required and not text:
            self.problem(key, "required")
        return text
