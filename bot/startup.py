"""What the server claims before it builds anything: its listening sockets and its store.

A failure here is the deployer's to fix (a port taken, an address that is not this
machine's, a database path that cannot be created), so each one becomes a
:class:`ConfigError` problem naming the variable to change, never a traceback.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiohttp import web

from bot.config import Settings
from bot.errors import ConfigError
from storage.base import BaseStorage

_AddressInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, tuple[object, ...]]


@dataclass
class Claimed:
    sockets: list[socket.socket]
    storage: BaseStorage


async def claim(settings: Settings,
                open_storage: Callable[[Settings], Awaitable[BaseStorage]]) -> Claimed:
    """Bind the server's sockets and open the store, or raise one :class:`ConfigError`
    listing what failed of both (and release what succeeded).

    :param open_storage: the composition root's (:func:`bot.app.open_storage`); it raises
        :class:`ConfigError` for a store that cannot be opened
    """
    problems: list[str] = []
    sockets: list[socket.socket] = []
    storage: BaseStorage | None = None
    try:
        sockets = bind_sockets(settings.host, settings.port)
    except ConfigError as exc:
        problems += exc.problems
    try:
        storage = await open_storage(settings)
    except ConfigError as exc:
        problems += exc.problems
    if storage is None or problems:
        close_sockets(sockets)
        if storage is not None:
            await storage.close()
        raise ConfigError(problems)
    return Claimed(sockets=sockets, storage=storage)


def bind_sockets(host: str, port: int) -> list[socket.socket]:
    """Sockets bound to every address ``host`` resolves to, as aiohttp's ``TCPSite`` binds
    them, but not listening yet: the server starts listening last (:func:`listen`), and
    until then a connection is refused rather than left waiting."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise ConfigError([f"HOST: {host} does not resolve to an address"]) from None
    sockets: list[socket.socket] = []
    try:
        for info in dict.fromkeys(infos):
            if (sock := _bound(info)) is not None:
                sockets.append(sock)
    except OSError as exc:
        close_sockets(sockets)
        raise ConfigError([listen_problem(host, port, exc)]) from None
    if not sockets:
        raise ConfigError([f"HOST: {host} is not an address of this machine"])
    return sockets


def _bound(info: _AddressInfo) -> socket.socket | None:
    """A socket bound to the address, or None for an address family this host lacks
    (asyncio skips those too: an IPv6 name on an IPv4-only machine)."""
    family, kind, proto, _, address = info
    try:
        sock = socket.socket(family, kind, proto)
    except OSError:
        return None
    try:
        # as asyncio does on POSIX: a restart can bind while old connections linger
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRNOTAVAIL:
            return None
        raise
    return sock


async def listen(runner: web.AppRunner, sockets: Sequence[socket.socket], *, host: str,
                 port: int) -> None:
    """Start serving on the bound sockets. Another process may have bound the port
    meanwhile (SO_REUSEADDR lets both bind; only one may listen)."""
    try:
        for sock in sockets:
            await web.SockSite(runner, sock).start()
    except OSError as exc:
        raise ConfigError([listen_problem(host, port, exc)]) from None


def listen_problem(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"PORT: {port} is already in use on {host}"
    if exc.errno == errno.EACCES:
        return f"PORT: {port} needs privileges this process does not have (use 1024 or above)"
    return f"HOST, PORT: cannot listen on {host} port {port}: {exc.strerror or exc}"


def close_sockets(sockets: Sequence[socket.socket]) -> None:
    for sock in sockets:
        sock.close()
