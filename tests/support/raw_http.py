"""Requests written byte by byte on a raw socket: headers no client library would send
(non-ASCII bytes) and bodies that arrive slowly or never finish."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass
class RawRequest:
    """One POST on its own connection, its body announced in full and sent in part."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    @classmethod
    async def open(cls, host: str, port: int, path: str, headers: dict[str, bytes], *,
                   body: bytes = b"", announced: int | None = None) -> RawRequest:
        """Send the request line, ``headers``, ``Content-Length: announced`` (default: the
        body's length) and ``body``; the rest of an announced body is never sent."""
        reader, writer = await asyncio.open_connection(host, port)
        length = len(body) if announced is None else announced
        lines = [f"POST {path} HTTP/1.1".encode(), f"Host: {host}:{port}".encode(),
                 f"Content-Length: {length}".encode()]
        lines += [name.encode() + b": " + value for name, value in headers.items()]
        writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        await writer.drain()
        return cls(reader, writer)

    async def status(self) -> int:
        """The status code of the answer (waits for it)."""
        line = await self.reader.readline()
        assert line.startswith(b"HTTP/1.1 "), line
        return int(line.split()[1])

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass  # the server closed it first
