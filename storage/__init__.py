"""Persistence behind one ABC; the backend is chosen by the URL scheme."""

from __future__ import annotations

from storage.base import BaseStorage


async def create_storage(url: str, *, sqlite_create: bool = False) -> BaseStorage:
    """Open ``sqlite:///path`` (the embedded default) or ``redis://…`` (scale-out).

    :param sqlite_create: start on a new, empty SQLite file even where one is recorded to
        have been; else that is refused with a :class:`~bot.errors.ConfigError`
    """
    if url.startswith("sqlite://"):
        from storage.sqlite import SqliteStorage

        return await SqliteStorage.from_url(url, sqlite_create=sqlite_create)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from storage.redis import RedisStorage

        return await RedisStorage.from_url(url)
    raise ValueError(f"unsupported STORAGE_URL scheme: {url.split(':', 1)[0]!r}")


__all__ = ["BaseStorage", "create_storage"]
