"""Processes the benchmark runs: the real bot, the floor, redis-server; and their RSS."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from bench.load import Lane
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.harness import desk_env
from tests.support.bot_process import start_process, wait_healthy
from tests.support.redis_server import free_port, redis_url

# Our own limiter must not cap the run: the fakes do not rate-limit unless asked.
UNLIMITED = {"SLACK_POST_RATE": "100000", "SLACK_POST_BURST": "100000"}


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` in KiB (``VmRSS`` of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def bot_env(slack: FakeSlackAPI, tg: FakeTelegramAPI, *, port: int, storage_url: str,
            **extra: str) -> dict[str, str]:
    return desk_env(slack, tg, HOST="127.0.0.1", PORT=str(port), STORAGE_URL=storage_url,
                    LOG_LEVEL="WARNING", **{**UNLIMITED, **extra})


def inbox_file(lanes: tuple[Lane, ...], tokens: tuple[str, ...]) -> str:
    """An ``INBOXES_FILE`` with one inbox per lane, each a Telegram bot (``tokens``, in
    order) by webhook."""
    tables = [f"[inboxes.{lane.name}]\nslack_channel = \"{lane.channel}\"\n\n"
              f"[inboxes.{lane.name}.telegram]\nbot_token = \"{token}\"\n"
              f"webhook_url = \"https://desk.test{lane.webhook_path}\"\n"
              f"webhook_secret = \"{lane.webhook_secret}\"\n"
              for lane, token in zip(lanes, tokens, strict=True)]
    return "\n".join(tables)


def inboxes_env(path: Path, lanes: tuple[Lane, ...], tokens: tuple[str, ...]) -> dict[str, str]:
    """Writes the inbox file; :return: the variables that point the bot at it (and unset
    the ones it replaces)."""
    path.write_text(inbox_file(lanes, tokens))
    return {"INBOXES_FILE": str(path), "TELEGRAM_BOT_TOKEN": "", "TELEGRAM_WEBHOOK_URL": "",
            "TELEGRAM_WEBHOOK_SECRET": "", "SLACK_CHANNEL": ""}


class Served:
    """A process answering HTTP on ``base``."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int) -> None:
        self.proc, self.port = proc, port
        self.base = f"http://127.0.0.1:{port}"

    @property
    def rss_kib(self) -> int:
        return rss_kib(self.proc.pid)


@asynccontextmanager
async def served(module: str, env: dict[str, str], cwd: Path,
                 args: tuple[str, ...] = ()) -> AsyncIterator[Served]:
    """``python -m module *args`` with ``env`` (PORT set in it), stopped with SIGTERM."""
    log = cwd / f"{module}-{env['PORT']}.log"
    with log.open("wb") as stderr:
        proc = start_process(env, cwd, module=module, args=args, stderr=stderr)
    try:
        try:
            await wait_healthy(f"http://127.0.0.1:{env['PORT']}", proc)
        except RuntimeError:
            sys.stderr.write(log.read_text()[-4000:])
            raise
        yield Served(proc, int(env["PORT"]))
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(proc.wait, 20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@asynccontextmanager
async def bot(slack: FakeSlackAPI, tg: FakeTelegramAPI, workdir: Path, storage_url: str,
              *, module: tuple[str, ...] = ("bot",), **extra: str) -> AsyncIterator[Served]:
    """The real bot process; ``module`` may name a wrapper and its arguments instead
    (``PYTHONPATH`` in ``extra``: another checkout's bot)."""
    env = bot_env(slack, tg, port=free_port(), storage_url=storage_url, **extra)
    async with served(module[0], env, workdir, module[1:]) as process:
        yield process


@asynccontextmanager
async def floor(slack: FakeSlackAPI, tg: FakeTelegramAPI, workdir: Path) -> AsyncIterator[Served]:
    env = bot_env(slack, tg, port=free_port(), storage_url="sqlite:///unused")
    async with served("bench.floor", env, workdir) as process:
        yield process


@contextmanager
def redis(workdir: Path) -> Iterator[str]:
    """A redis-server of our own (REDIS_URL if set); the benchmark needs one."""
    with redis_url(workdir) as url:
        if url is None:
            raise RuntimeError("no redis-server on PATH and no REDIS_URL")
        yield url.rsplit("/", 1)[0]
