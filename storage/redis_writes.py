"""Plain Redis writes recorded for one script call (``COMMIT``/``COMPLETE`` apply them).

It stands in for a MULTI pipeline with the few commands the documents and indexes need:
a script is atomic too, and it can enqueue jobs in the same step, where a pipeline with a
script in it costs redis-py an extra ``SCRIPT EXISTS`` round trip on every execute.
"""

from __future__ import annotations

from typing import Any


class Writes:
    """Each write is four strings: command, key, value, and the score / member / PX."""

    def __init__(self) -> None:
        self.ops: list[str] = []

    def set(self, key: str, value: Any, px: int | None = None) -> None:
        self.ops += ["SET", key, str(value), str(px or "")]

    def rpush(self, key: str, *values: Any) -> None:
        for value in values:
            self.ops += ["RPUSH", key, str(value), ""]

    def zadd(self, key: str, mapping: dict[str, float]) -> None:
        for member, score in mapping.items():
            self.ops += ["ZADD", key, repr(float(score)), str(member)]

    def zrem(self, key: str, *members: Any) -> None:
        for member in members:
            self.ops += ["ZREM", key, str(member), ""]
