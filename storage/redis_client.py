"""A redis-py client whose every command and pipeline has a deadline, kept cheaply.

redis-py's own ``socket_timeout`` wraps each socket write in ``asyncio.wait_for`` (a new
task per command) and each read in a timer; ``asyncio.timeout`` around the command costs
as much (~15 µs of a ~90 µs command, measured). The bot sends ten commands per relayed
reply, so the deadline is kept by :class:`Deadlines` instead: one timer for every command
in flight, each command only noted in a dict.

When a deadline passes, redis-py drops the connection the command was using (it does so
for any exception mid-command), so a late reply is never read as the answer to a later one.

Commands are also packed by hiredis (:class:`HiredisPackedConnection`), as redis-py's sync
client packs them: its asyncio client packs in Python at ~0.9 µs an argument, ~50 µs for
the commit of one customer message, against ~5 µs.

And the commands the process issues in one event-loop turn go to Redis in one round trip
(:meth:`DeadlineRedis.execute_command`): redis-py spends some 70 µs of client CPU on a
command whatever it is (a pooled connection, retry and observability wrappers, a socket
write, a reply future), and a relayed reply sends about six, from three or four tasks.

A pooled connection that Redis closed while it idled (a restart) fails the next command
sent on it; that command is sent again at once on a new connection, within its deadline,
when the failure shows Redis never answered it (:class:`CommandNeverRan`), so a restart
costs no request an error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar, cast

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.connection import (
    AbstractConnection,
    Connection,
    SSLConnection,
    UnixDomainSocketConnection,
)
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.connection import HiredisRespSerializer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.utils import HIREDIS_AVAILABLE

from storage.redis_url import redis_options
from storage.turns import Follower, Turn, settle

COMMAND_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0
TICKS_PER_TIMEOUT = 5  # a command is cut off between 1 and 1.2 timeouts after it began

T = TypeVar("T")
Command = tuple[tuple[Any, ...], dict[str, Any]]  # a command's arguments and options
Queued = Follower[Command]


class Deadlines:
    """Cancels the tasks whose command has run longer than ``timeout``, from one timer
    that ticks only while some command is in flight."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._due: dict[asyncio.Task[Any], float] = {}
        self._expired: set[asyncio.Task[Any]] = set()
        self._timer: asyncio.TimerHandle | None = None

    async def run(self, what: str, command: Awaitable[T]) -> T:
        task = asyncio.current_task()
        if task is None or task in self._due:  # not in a task, or nested: bounded already
            return await command
        loop = asyncio.get_running_loop()
        self._due[task] = loop.time() + self.timeout
        if self._timer is None:
            self._timer = loop.call_later(self.timeout / TICKS_PER_TIMEOUT, self._tick)
        try:
            return await command
        except asyncio.CancelledError:
            if task not in self._expired:
                raise  # cancelled by someone else: not ours to turn into an error
            self._expired.discard(task)
            task.uncancel()
            raise RedisTimeoutError(
                f"Redis did not answer {what} within {self.timeout:g}s") from None
        finally:
            # Synchronous, so _tick (a loop callback) only ever sees a task that is
            # suspended inside the try above: its cancellation lands there.
            del self._due[task]

    def _tick(self) -> None:
        self._timer = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        for task, due in self._due.items():
            if due <= now and task not in self._expired:
                self._expired.add(task)
                task.cancel()
        if self._due:
            self._timer = loop.call_later(self.timeout / TICKS_PER_TIMEOUT, self._tick)


class CommandNeverRan(RedisConnectionError):
    """The connection failed before Redis answered anything of what was sent on it: it was
    already closed when the command was written, or closed before any reply came back."""


# Once, at once: a restart leaves every pooled connection dead, and the new one it opens is
# live; a second failure is an outage, which the deadline and the caller's retries handle.
RETRY_NEVER_RAN = Retry(NoBackoff(), 1, supported_errors=(CommandNeverRan,))


def _never_ran(exc: RedisConnectionError) -> RedisConnectionError:
    # Only the bare class means a lost connection: its subclasses are answers from Redis
    # (a refused password, LOADING), which a second try would only get again.
    return CommandNeverRan(*exc.args) if type(exc) is RedisConnectionError else exc


class StoreConnection(AbstractConnection):
    """Packs commands with hiredis (the same bytes, in C), and raises
    :class:`CommandNeverRan` for a connection lost before the first reply to a send."""

    _serializer = HiredisRespSerializer() if HIREDIS_AVAILABLE else None
    _awaiting_reply = False

    def pack_command(self, *args: Any) -> list[bytes]:
        if self._serializer is None:
            return super().pack_command(*args)
        packed: list[bytes] = self._serializer.pack(*args)
        return packed

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        try:
            await super().send_packed_command(command, check_health)
        except RedisConnectionError as exc:
            raise _never_ran(exc) from exc
        # Set after the send: connecting reads the handshake's replies inside it.
        self._awaiting_reply = True

    async def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().read_response(*args, **kwargs)
        except RedisConnectionError as exc:
            if self._awaiting_reply:
                raise _never_ran(exc) from exc
            raise
        finally:
            self._awaiting_reply = False


class HiredisPackedConnection(StoreConnection, Connection):
    """A TCP connection (``redis://``)."""


class StoreSSLConnection(StoreConnection, SSLConnection):
    """A TLS connection (``rediss://``)."""


class StoreUnixConnection(StoreConnection, UnixDomainSocketConnection):
    """A unix socket connection (``unix://``)."""


STORE_CONNECTIONS: dict[type[AbstractConnection], type[StoreConnection]] = {
    Connection: HiredisPackedConnection, SSLConnection: StoreSSLConnection,
    UnixDomainSocketConnection: StoreUnixConnection}


class DeadlineRedis(Redis):
    """:class:`Redis` whose commands and pipelines each get ``deadlines.timeout`` seconds,
    retries, reconnect and reply included; commands of one loop turn share a trip."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadlines = Deadlines(COMMAND_TIMEOUT)
        self._turn: Turn[Command] = Turn()
        self._orphans: set[asyncio.Task[None]] = set()  # followers of a cancelled leader

    @classmethod
    def connect(cls, url: str, *, timeout: float = COMMAND_TIMEOUT,
                max_connections: int) -> DeadlineRedis:
        """:raises ValueError: the URL is not one :func:`redis_options` takes"""
        options = redis_options(url)
        options["connection_class"] = STORE_CONNECTIONS[
            options.get("connection_class", Connection)]
        # socket_timeout=None: no per-command timers; the deadlines replace them.
        pool = ConnectionPool(**options, decode_responses=True, socket_timeout=None,
                              socket_connect_timeout=CONNECT_TIMEOUT,
                              max_connections=max_connections, retry=RETRY_NEVER_RAN)
        client = cast(DeadlineRedis, cls.from_pool(pool))
        client.deadlines.timeout = timeout
        return client

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        """The first command of a loop turn leads: it lets the turn finish, then sends
        itself and every command issued meanwhile (the followers) as one pipeline, and
        hands each follower its own reply or error. Alone, it is sent as it is."""
        return await self.deadlines.run(str(args[0]), self._in_turn(args, options))

    async def _in_turn(self, args: tuple[Any, ...], options: dict[str, Any]) -> Any:
        if (future := self._turn.join((args, options))) is not None:
            return await future
        followers = await self._turn.lead(orphaned=self._send_later)
        if not followers:
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        return await self._send_together((args, options), followers)

    async def _send_together(self, command: Command, followers: list[Queued]) -> Any:
        pipe = self.pipeline(transaction=False)
        for args, options in (command, *(queued for queued, _ in followers)):
            pipe.execute_command(*args, **options)
        try:
            mine, *theirs = await pipe.execute(raise_on_error=False)
        except BaseException as exc:
            # A lost connection or the deadline: every command of the trip failed alike.
            # Cancelled by its own caller, the leader still owes the others an answer.
            error = exc if isinstance(exc, Exception) else RedisConnectionError(
                "the command was cut off with the pipeline it went in")
            for _, future in followers:
                settle(future, None, error)
            raise
        for (_, future), reply in zip(followers, theirs, strict=True):
            # an error reply is that command's alone (NOSCRIPT: redis-py's Script reloads)
            settle(future, reply, reply if isinstance(reply, Exception) else None)
        if isinstance(mine, Exception):
            raise mine
        return mine

    def _send_later(self, followers: list[Queued]) -> None:
        """The followers of a leader cancelled before sending: they go all the same."""
        task = asyncio.ensure_future(self._send_for(followers))
        self._orphans.add(task)
        task.add_done_callback(self._orphans.discard)

    async def _send_for(self, followers: list[Queued]) -> None:
        (command, future), *rest = followers
        try:
            reply = await self.deadlines.run(str(command[0][0]),
                                             self._send_together(command, rest))
        except Exception as exc:
            settle(future, None, exc)
        else:
            settle(future, reply, None)

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        pipe = DeadlinePipeline(self.connection_pool, self.response_callbacks, transaction,
                                shard_hint)
        pipe.deadlines = self.deadlines
        return pipe


class DeadlinePipeline(Pipeline):
    deadlines: Deadlines  # its client's, set by DeadlineRedis.pipeline

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        return await self.deadlines.run("a pipeline", super().execute(raise_on_error))
