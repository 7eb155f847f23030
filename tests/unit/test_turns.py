"""A loop turn's calls gathered by the first one: the leader sees every follower that is
still waiting, and a leader cancelled while gathering hands its followers on."""

from __future__ import annotations

import asyncio
from typing import Any

from storage.turns import Follower, Turn


async def test_the_leader_gathers_the_calls_of_its_turn_only() -> None:
    turn: Turn[str] = Turn()
    gathered: list[list[str]] = []

    async def call(name: str) -> Any:
        if (future := turn.join(name)) is not None:
            return await future
        followers = await turn.lead(orphaned=lambda _: None)
        gathered.append([name, *(item for item, _ in followers)])
        for item, future in followers:
            future.set_result(item.upper())
        return name.upper()

    assert list(await asyncio.gather(call("a"), call("b"), call("c"))) == ["A", "B", "C"]
    assert await call("d") == "D"  # a later turn: a leader of its own, alone
    assert gathered == [["a", "b", "c"], ["d"]]


async def test_a_cancelled_leader_hands_over_the_followers_still_waiting() -> None:
    turn: Turn[str] = Turn()
    handed: list[list[Follower[str]]] = []
    leader = asyncio.ensure_future(turn.lead(orphaned=handed.append))
    await asyncio.sleep(0)  # the leader now waits for the turn to end
    kept, dropped = turn.join("kept"), turn.join("dropped")
    assert kept is not None and dropped is not None
    dropped.cancel()
    leader.cancel()
    await asyncio.gather(leader, return_exceptions=True)
    assert [[item for item, _ in followers] for followers in handed] == [["kept"]]
    assert turn.join("next") is None  # the next call leads again


async def test_a_cancelled_leader_with_no_one_waiting_hands_over_nothing() -> None:
    turn: Turn[str] = Turn()
    handed: list[list[Follower[str]]] = []
    leader = asyncio.ensure_future(turn.lead(orphaned=handed.append))
    await asyncio.sleep(0)
    gone = turn.join("gone")
    assert gone is not None
    gone.cancel()  # its caller gave up too: nothing is left to serve
    leader.cancel()
    await asyncio.gather(leader, return_exceptions=True)
    assert handed == []
