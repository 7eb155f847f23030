"""Shared machinery of the fake platform servers: lifecycle, call log and fault injection.

Every fake is an aiohttp application on 127.0.0.1 with an ephemeral port. A request to one
API method goes through :meth:`FakeServer.run`, which counts the attempt, applies any queued
or random fault, runs the method and files the outcome:

- ``calls[method]`` gets the arguments of every call answered with ``ok: true``;
- ``faults`` gets ``(method, kind)`` for everything else: injected faults (``"429"``,
  ``"500"``, ``"drop"``, ``"lost"``, ``"delay"``…) and refusals by the platform logic
  (``"error:<code>"``, e.g. ``"error:already_reacted"``);
- ``attempts[method]`` counts every request, whatever happened to it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web

Args = dict[str, Any]
MethodHandler = Callable[[Args], Awaitable[web.StreamResponse]]

# Marker a method handler puts on a response to say the call was refused.
FAILED = web.ResponseKey("fake_failed_kind", str)
CHAOS_KINDS = ("drop", "lost", "delay")


@dataclass(frozen=True)
class Fault:
    """One canned misbehaviour for a single attempt.

    :param kind: ``"status"`` (answer with an error), ``"drop"`` (close the connection
        before doing anything), ``"lost"`` (do the work, then close the connection without
        answering) or ``"delay"`` (answer late).
    """

    kind: str
    status: int = 500
    error: str | None = None
    retry_after: int | None = None
    seconds: float = 0.0

    @property
    def label(self) -> str:
        return str(self.status) if self.kind == "status" else self.kind


def failed(response: web.StreamResponse, kind: str) -> web.StreamResponse:
    """Mark ``response`` as a refusal so it lands in ``faults`` instead of ``calls``."""
    response[FAILED] = kind
    return response


class FakeServer:
    """Base of the fakes: start/stop on an ephemeral port, call log, faults, chaos."""

    #: Methods the chaos mode may disturb; reads are left alone.
    mutating: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.calls: defaultdict[str, list[Args]] = defaultdict(list)
        self.attempts: Counter[str] = Counter()
        self.faults: list[tuple[str, str]] = []
        self.closing = asyncio.Event()
        self._queued: defaultdict[str, deque[Fault]] = defaultdict(deque)
        self._chaos: tuple[random.Random, float, tuple[str, ...]] | None = None
        self._chaos_delay = 0.1
        self._runner: web.AppRunner | None = None
        self._port = 0

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on an ephemeral port; after a :meth:`stop`, on the same port again."""
        self.closing.clear()
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self._port).start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        # Wake long polls and delayed answers first so the runner's cleanup never waits.
        self.closing.set()
        await self.before_stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def before_stop(self) -> None:
        """Hook for subclasses: close open websockets and the like."""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError(f"{type(self).__name__} is not started; await start() first")
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    # -- call log --------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Args]:
        return list(self.calls.get(method, []))

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Args]:
        """Wait until ``count`` successful calls to ``method`` are recorded and return them."""
        deadline = time.monotonic() + timeout
        while len(self.calls.get(method, [])) < count:
            if time.monotonic() >= deadline:
                seen = len(self.calls.get(method, []))
                raise AssertionError(
                    f"expected >= {count} successful {method} call(s) within {timeout}s, "
                    f"got {seen} (attempts={self.attempts[method]}, faults={self.faults})")
            await asyncio.sleep(0.01)
        return self.calls_to(method)

    # -- fault injection -------------------------------------------------------------------

    def fail_next(self, method: str, *, status: int | None = None, error: str | None = None,
                  retry_after: int | None = None, times: int = 1) -> None:
        """Answer the next ``times`` attempts of ``method`` with an error response.

        :param status: HTTP status; when omitted the platform's usual one for ``error``
            (see :meth:`default_status`).
        :param error: Slack error code or Telegram description; a default fits ``status``.
        :param retry_after: seconds announced with a 429 (default 1).
        """
        resolved = status if status is not None else self.default_status(error)
        fault = Fault("status", status=resolved, error=error, retry_after=retry_after)
        self._queued[method].extend([fault] * times)

    def default_status(self, error: str | None) -> int:
        """The HTTP status the platform would use for ``error`` (500 when none is given)."""
        return 500

    def drop_next(self, method: str, times: int = 1, *, after_processing: bool = False) -> None:
        """Close the connection without answering; with ``after_processing`` the platform
        has already done the work (the message exists) when the answer is lost."""
        self._queued[method].extend([Fault("lost" if after_processing else "drop")] * times)

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Answer the next attempts only after ``seconds`` (the work is still done)."""
        self._queued[method].extend([Fault("delay", seconds=seconds)] * times)

    def chaos(self, seed: int, rate: float,
              kinds: Iterable[str] = ("429", "500", "drop"), *, delay: float = 0.1) -> None:
        """Disturb a ``rate`` share of attempts on mutating methods, reproducibly from ``seed``.

        :param kinds: any of ``"drop"``, ``"lost"``, ``"delay"`` or an HTTP status such as
            ``"429"`` (sent with ``retry_after=1``), ``"500"``, ``"503"``, ``"403"``.
        """
        chosen = tuple(kinds)
        unknown = {k for k in chosen if k not in CHAOS_KINDS and not k.isdigit()}
        if unknown:
            raise ValueError(f"unknown chaos kinds {sorted(unknown)}; "
                             f"known: {CHAOS_KINDS} or any HTTP status")
        self._chaos = (random.Random(seed), rate, chosen)
        self._chaos_delay = delay

    def calm(self) -> None:
        """Stop chaos and forget every queued fault."""
        self._chaos = None
        self._queued.clear()

    def _next_fault(self, method: str) -> Fault | None:
        if self._queued.get(method):
            return self._queued[method].popleft()
        if self._chaos is None or method not in self.mutating:
            return None
        rng, rate, kinds = self._chaos
        if rng.random() >= rate:
            return None
        return self._chaos_fault(rng.choice(kinds))

    def _chaos_fault(self, kind: str) -> Fault:
        if kind in ("drop", "lost"):
            return Fault(kind)
        if kind == "delay":
            return Fault("delay", seconds=self._chaos_delay)
        return Fault("status", status=int(kind), retry_after=1 if kind == "429" else None)

    def fault_response(self, fault: Fault) -> web.StreamResponse:
        """The platform's error answer for an injected status fault."""
        raise NotImplementedError

    # -- request pipeline ------------------------------------------------------------------

    async def run(self, request: web.Request, method: str, args: Args,
                  handler: MethodHandler) -> web.StreamResponse:
        self.attempts[method] += 1
        fault = self._next_fault(method)
        if fault is not None and fault.kind == "delay":
            self.faults.append((method, "delay"))
            await self.pause(fault.seconds)
        elif fault is not None and fault.kind == "drop":
            return self._drop(request, method, "drop")
        elif fault is not None and fault.kind == "status":
            self.faults.append((method, fault.label))
            return self.fault_response(fault)
        response = await handler(args)
        if fault is not None and fault.kind == "lost":
            return self._drop(request, method, "lost")
        return self._file(request, method, args, response)

    def _file(self, request: web.Request, method: str, args: Args,
              response: web.StreamResponse) -> web.StreamResponse:
        transport = request.transport
        if transport is None or transport.is_closing():
            # The client gave up (timeout) while the work was being done.
            self.faults.append((method, "lost"))
        elif FAILED in response:
            self.faults.append((method, str(response[FAILED])))
        else:
            self.calls[method].append(args)
        return response

    def _drop(self, request: web.Request, method: str, kind: str) -> web.StreamResponse:
        self.faults.append((method, kind))
        if request.transport is not None:
            request.transport.close()
        # aiohttp cannot write this to the closed transport; the client sees a disconnect.
        return web.Response(status=204)

    async def pause(self, seconds: float) -> None:
        """Sleep, but wake up at once when the server stops."""
        try:
            await asyncio.wait_for(self.closing.wait(), timeout=seconds)
        except TimeoutError:
            pass
