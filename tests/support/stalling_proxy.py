"""A TCP proxy in front of the real redis-server that can hold Redis' replies back: a
store that stops answering, without stopping the server other tests share."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit


class StallingProxy:
    """A TCP proxy in front of the real redis-server that can hold Redis' replies back
    (``flowing`` cleared: Redis ran the command, its answer is late), lose the commands
    sent meanwhile (``losing`` set: Redis never hears them), or be down altogether
    (:meth:`go_down`: every connection is closed at once, until :meth:`come_back`)."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.host, self.port, self.db = parts.hostname, parts.port, parts.path
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.losing = False
        self.down = False
        self._pumps: set[asyncio.Task[None]] = set()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    gate: asyncio.Event | None) -> None:
        try:
            while data := await reader.read(65536):
                if gate is not None:
                    await gate.wait()
                elif self.losing:
                    continue  # towards Redis: the command is lost
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def go_down(self) -> None:
        """Close the open connections and every new one, as a Redis that went away."""
        self.down = True
        for task in list(self._pumps):
            task.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)

    def come_back(self) -> None:
        self.down = False

    async def _accept(self, client_r: asyncio.StreamReader,
                      client_w: asyncio.StreamWriter) -> None:
        if self.down:
            client_w.close()
            return
        server_r, server_w = await asyncio.open_connection(self.host, self.port)
        for pump in (self._pump(client_r, server_w, None),
                     self._pump(server_r, client_w, self.flowing)):
            task = asyncio.create_task(pump)
            self._pumps.add(task)
            task.add_done_callback(self._pumps.discard)

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            yield f"redis://127.0.0.1:{port}{self.db}"
        finally:
            server.close()
            for task in list(self._pumps):
                task.cancel()
            await asyncio.gather(*self._pumps, return_exceptions=True)
