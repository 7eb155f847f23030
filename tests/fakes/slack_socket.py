"""A fake Socket Mode endpoint: the WebSocket half of :class:`FakeSlackAPI`.

``apps.connections.open`` hands out ``ws://127.0.0.1:<port>/socket?ticket=…``; a client that
connects gets a ``hello`` frame, then whatever envelopes the test pushes with
:meth:`SocketModeHub.send`. Acks (``{"envelope_id": …, "payload"?: …}``) are collected so a
test can await them.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from aiohttp import WSMsgType, web

Frame = dict[str, Any]


def hello_frame(num_connections: int, app_id: str) -> Frame:
    return {
        "type": "hello",
        "num_connections": num_connections,
        "debug_info": {"host": "applink-fake", "build_number": 1,
                       "approximate_connection_time": 18060},
        "connection_info": {"app_id": app_id},
    }


def envelope(envelope_type: str, payload: Frame, *, retry_attempt: int,
             retry_reason: str | None, accepts_response_payload: bool | None) -> Frame:
    frame: Frame = {
        "envelope_id": str(uuid.uuid4()),
        "type": envelope_type,
        "payload": payload,
        # Slack lets slash commands and interactivity answer through the ack.
        "accepts_response_payload": (envelope_type != "events_api"
                                     if accepts_response_payload is None
                                     else accepts_response_payload),
    }
    if envelope_type == "events_api":
        frame["retry_attempt"] = retry_attempt
        frame["retry_reason"] = retry_reason if retry_reason is not None else (
            "timeout" if retry_attempt else "")
    return frame


class SocketModeHub:
    """Open Socket Mode connections, the envelopes sent to them and the acks received."""

    def __init__(self, *, app_id: str = "A0FAKE") -> None:
        self.app_id = app_id
        self.sockets: list[web.WebSocketResponse] = []
        self.connections = 0
        self.envelopes: list[Frame] = []
        self.acks: dict[str, Frame] = {}
        self.frames: list[Frame] = []

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        # autoping answers the client's "sdk-ping-pong" pings, as Slack does.
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.sockets.append(ws)
        self.connections += 1
        try:
            await ws.send_json(hello_frame(len(self.sockets), self.app_id))
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._receive(json.loads(message.data))
        finally:
            self.sockets.remove(ws)
        return ws

    def _receive(self, frame: Frame) -> None:
        self.frames.append(frame)
        envelope_id = frame.get("envelope_id")
        if isinstance(envelope_id, str):
            self.acks[envelope_id] = frame

    async def wait_connected(self, timeout: float = 5.0, *,
                             min_connections: int = 1) -> web.WebSocketResponse:
        """The newest open connection, once ``min_connections`` were ever opened."""
        deadline = time.monotonic() + timeout
        while not self._live() or self.connections < min_connections:
            if time.monotonic() >= deadline:
                raise AssertionError(f"no Socket Mode client connected within {timeout}s "
                                     f"(connections so far: {self.connections})")
            await asyncio.sleep(0.01)
        return self._live()[-1]

    def _live(self) -> list[web.WebSocketResponse]:
        return [ws for ws in self.sockets if not ws.closed]

    async def send(self, envelope_type: str, payload: Frame, *, retry_attempt: int = 0,
                   retry_reason: str | None = None,
                   accepts_response_payload: bool | None = None,
                   timeout: float = 5.0) -> str:
        """Push one envelope to the newest connection and return its ``envelope_id``."""
        ws = await self.wait_connected(timeout)
        frame = envelope(envelope_type, payload, retry_attempt=retry_attempt,
                         retry_reason=retry_reason,
                         accepts_response_payload=accepts_response_payload)
        self.envelopes.append(frame)
        await ws.send_json(frame)
        return str(frame["envelope_id"])

    async def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Frame:
        deadline = time.monotonic() + timeout
        while envelope_id not in self.acks:
            if time.monotonic() >= deadline:
                raise AssertionError(f"envelope {envelope_id} was not acked within {timeout}s "
                                     f"(acks so far: {list(self.acks)})")
            await asyncio.sleep(0.01)
        return self.acks[envelope_id]

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the clients to reconnect, as Slack does every few hours."""
        for ws in self._live():
            await ws.send_json({"type": "disconnect", "reason": reason,
                                "debug_info": {"host": "applink-fake"}})

    async def close_all(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
