"""Persistence behind one ABC; the backend is chosen by the URL scheme."""

from __future__ import annotations

from storage.base import BaseStorage


async def create_storage(url: str) -> BaseStorage:
    """Open ``sqlite:///path`` (the embedded default) or ``redis://…`` (scale-out)."""
    if url.startswith("sqlite://"):
        from storage.sqlite import SqliteStorage

        return await SqliteStorage.from_url(url)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from storage.redis import RedisStorage

        return await RedisStorage.from_url(url)
    raise ValueError(f"unsupported STORAGE_URL scheme: {url.split(':', 1)[0]!r}")


__all__ = ["BaseStorage", "create_storage"]
