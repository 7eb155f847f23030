"""Calls made in one event-loop turn, gathered so that they share one trip to the store.

Both stores use it: Redis sends a turn's commands as one pipeline, SQLite commits a
turn's write transactions as one. The first call of a turn *leads*: it lets the turn
finish (one ``sleep(0)``), during which every other call *follows* it, and then serves
them all. A leader alone goes on as it would have without the gathering.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Follower = tuple[Item, "asyncio.Future[Any]"]


class Turn(Generic[Item]):
    def __init__(self) -> None:
        self._followers: list[Follower[Item]] | None = None

    def join(self, item: Item) -> asyncio.Future[Any] | None:
        """A future for ``item``'s outcome when a leader is gathering this turn;
        ``None`` when the caller is to lead (see :meth:`lead`)."""
        if self._followers is None:
            return None
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._followers.append((item, future))
        return future

    async def lead(self, orphaned: Callable[[list[Follower[Item]]], None]
                   ) -> list[Follower[Item]]:
        """Let the turn finish; :return: the followers gathered meanwhile, but those whose
        caller gave up waiting. A leader cancelled meanwhile hands any it has to
        ``orphaned`` (which must serve them without waiting for the cancelled caller) and
        re-raises."""
        followers: list[Follower[Item]] = []
        self._followers = followers
        try:
            await asyncio.sleep(0)
        except asyncio.CancelledError:
            self._followers = None
            if waiting := still_waiting(followers):
                orphaned(waiting)
            raise
        self._followers = None
        return still_waiting(followers)


def still_waiting(followers: list[Follower[Item]]) -> list[Follower[Item]]:
    return [(item, future) for item, future in followers if not future.done()]


def settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    """Hand a follower its outcome, unless its caller gave up waiting meanwhile."""
    if future.done():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)
