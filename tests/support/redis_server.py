"""A real redis-server for the tests: REDIS_URL if given, else one started on a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NO_REDIS = "no redis-server binary on PATH and no REDIS_URL: the Redis cases cannot run"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith((b"+PONG", b"-NOAUTH")):  # up, with a password
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not answer within 10 s")


@contextmanager
def redis_url(workdir: Path) -> Iterator[str | None]:
    """Yield a Redis URL, or None when neither REDIS_URL nor the binary exists."""
    if url := os.environ.get("REDIS_URL"):
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(workdir)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_up(port, proc)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class RedisProcess:
    """A redis-server of the test's own, for what the shared one cannot show: a password,
    a unix socket, a restart. ``options`` are redis-server's command-line options."""

    def __init__(self, binary: str, workdir: Path, *options: str) -> None:
        self.port = free_port()
        self.args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                     "--dir", str(workdir), *options]
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        _wait_until_up(self.port, self.proc)

    def stop(self, signal: int = 15) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal)
            self.proc.wait(timeout=10)
