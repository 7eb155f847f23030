"""A SQLite file deleted or replaced under the store: every write fails, the ping says why,
and the next start refuses an empty store in its place unless told to make one."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.errors import ConfigError, StoreLost
from storage import create_storage
from storage.sqlite import SqliteStorage


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


async def test_writes_and_the_ping_fail_once_the_directory_is_deleted(tmp_path: Path) -> None:
    path = tmp_path / "data" / "bot.sqlite3"
    store = await SqliteStorage.from_url(_url(path))
    try:
        assert await store.ping() is True
        shutil.rmtree(path.parent)
        with pytest.raises(StoreLost):
            await store.mark_seen("telegram:update:1", ttl=60)
        # writes asked for in the same loop turn are committed together: all fail alike
        together = await asyncio.gather(store.mark_seen("a", ttl=60), store.mark_seen("b", ttl=60),
                                        return_exceptions=True)
        assert [type(outcome) for outcome in together] == [StoreLost, StoreLost]
        with pytest.raises(StoreLost, match="deleted or replaced"):
            await store.ping()
    finally:
        await store.close()


async def test_a_file_replaced_by_another_is_noticed_too(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await SqliteStorage.from_url(_url(path))
    try:
        other = tmp_path / "other.sqlite3"
        sqlite3.connect(other).close()
        other.replace(path)
        with pytest.raises(StoreLost):
            await store.mark_seen("telegram:update:1", ttl=60)
    finally:
        await store.close()


async def _used_store(path: Path) -> None:
    store = await create_storage(_url(path))
    await store.mark_seen("telegram:update:1", ttl=60)
    await store.close()


@pytest.mark.parametrize("lose", [
    pytest.param(lambda path: shutil.rmtree(path.parent), id="directory deleted"),
    pytest.param(lambda path: path.unlink(), id="file deleted"),
])
async def test_a_store_that_existed_is_not_replaced_by_an_empty_one(
        tmp_path: Path, lose: Callable[[Path], None]) -> None:
    path = tmp_path / "data" / "bot.sqlite3"
    await _used_store(path)
    lose(path)
    with pytest.raises(ConfigError) as refused:
        await create_storage(_url(path))
    (problem,) = refused.value.problems
    assert str(path) in problem and "SQLITE_CREATE=1" in problem
    assert not path.exists()


async def test_told_to_the_bot_starts_on_a_new_empty_store(tmp_path: Path) -> None:
    path = tmp_path / "data" / "bot.sqlite3"
    await _used_store(path)
    shutil.rmtree(path.parent)
    store = await create_storage(_url(path), sqlite_create=True)
    try:
        assert await store.mark_seen("telegram:update:1", ttl=60) is True  # nothing kept
    finally:
        await store.close()
    await create_storage(_url(path))  # and it is the store from now on
