"""A fresh start with no tokens: embedded store, clear log lines, /healthz answering; and a
start that cannot happen (port taken, store path unusable, bad HOST): one message, exit 2."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from storage import create_storage
from tests.support.redis_server import free_port

ROOT = Path(__file__).resolve().parents[2]


async def test_starts_with_no_variables_and_says_what_is_disabled(tmp_path: Path) -> None:
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "PORT": str(port),
           "HOST": "127.0.0.1"}
    proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        body = await _healthz(port)
        assert body["ok"] and body["storage"] == "ok"
        assert body["channels"] == {"telegram": False, "slack": False}
        assert (tmp_path / "data" / "bot.sqlite3").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "set TELEGRAM_BOT_TOKEN to enable it" in stderr
    assert "SLACK_BOT_TOKEN" in stderr and "Traceback" not in stderr


async def _lose_the_store_of_a_first_start(tmp_path: Path) -> None:
    store = await create_storage(f"sqlite:///{tmp_path / 'data' / 'bot.sqlite3'}")
    await store.close()
    shutil.rmtree(tmp_path / "data")


def _zero_config_env(port: int) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "PORT": str(port),
            "HOST": "127.0.0.1"}


async def test_refuses_to_start_an_empty_store_where_one_was(tmp_path: Path) -> None:
    await _lose_the_store_of_a_first_start(tmp_path)
    refused = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path, env=_zero_config_env(free_port()),
        stderr=subprocess.PIPE)
    try:
        _, stderr = await asyncio.wait_for(refused.communicate(), timeout=30)
    finally:
        if refused.returncode is None:  # it started after all
            refused.kill()
            await refused.wait()
    assert refused.returncode == 2
    assert "data/bot.sqlite3 is missing" in stderr.decode()
    assert "SQLITE_CREATE=1" in stderr.decode() and b"Traceback" not in stderr
    assert not (tmp_path / "data").exists()


async def test_told_to_it_starts_on_a_new_empty_store(tmp_path: Path) -> None:
    await _lose_the_store_of_a_first_start(tmp_path)
    port = free_port()
    told = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path,
        env={**_zero_config_env(port), "SQLITE_CREATE": "1"}, stderr=subprocess.DEVNULL)
    try:
        assert (await _healthz(port))["ok"]
        assert (tmp_path / "data" / "bot.sqlite3").exists()
    finally:
        told.send_signal(signal.SIGTERM)
        await asyncio.wait_for(told.wait(), timeout=20)


async def _healthz(port: int) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + 30
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    return await response.json()  # type: ignore[no-any-return]
            except aiohttp.ClientError:
                assert time.monotonic() < deadline, "the bot never answered /healthz"
                await asyncio.sleep(0.1)


HEADER = "configuration error, the bot did not start:"


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another server is listening on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield int(other.getsockname()[1])


def run_until_exit(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m bot`` that is expected to stop on its own (the timeout guards a hang)."""
    full = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=60, check=False)


def assert_refused(proc: subprocess.CompletedProcess[str], *problems: str) -> None:
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [HEADER, *(f"  - {p}" for p in problems)]


def test_a_port_in_use_stops_the_start_with_one_message(tmp_path: Path,
                                                        taken_port: int) -> None:
    proc = run_until_exit(tmp_path, HOST="127.0.0.1", PORT=str(taken_port))
    assert_refused(proc, f"PORT: {taken_port} is already in use on 127.0.0.1")


def test_a_sqlite_path_that_cannot_be_created_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("a regular file, so not even root can make a folder in it")
    proc = run_until_exit(tmp_path, HOST="127.0.0.1", PORT=str(free_port()),
                          STORAGE_URL="sqlite:///file/sub/bot.sqlite3")
    assert_refused(proc, "STORAGE_URL: cannot open the SQLite database file/sub/bot.sqlite3: "
                         "Not a directory: 'file/sub'")


def test_port_and_store_problems_are_listed_together(tmp_path: Path, taken_port: int) -> None:
    (tmp_path / "file").write_text("")
    proc = run_until_exit(tmp_path, HOST="127.0.0.1", PORT=str(taken_port),
                          STORAGE_URL="sqlite:///file/bot.sqlite3")
    assert_refused(proc, f"PORT: {taken_port} is already in use on 127.0.0.1",
                   "STORAGE_URL: cannot open the SQLite database file/bot.sqlite3: "
                   "'file' is a file, not a folder")


def test_a_leads_export_from_an_unusable_store_says_so(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    proc = run_until_exit(tmp_path, "leads", "export", "--format", "csv",
                          STORAGE_URL="sqlite:///file/sub/bot.sqlite3")
    assert_refused(proc, "STORAGE_URL: cannot open the SQLite database file/sub/bot.sqlite3: "
                         "Not a directory: 'file/sub'")
    assert proc.stdout == ""


@pytest.mark.parametrize(("host", "problem"), [
    ("999.1.1.1", "HOST: '999.1.1.1' is not a valid IPv4 address"),
    # documentation range (RFC 5737): a well-formed address no machine here has
    ("192.0.2.1", "HOST: 192.0.2.1 is not an address of this machine"),
])
def test_a_bad_host_stops_the_start_with_one_message(tmp_path: Path, host: str,
                                                     problem: str) -> None:
    proc = run_until_exit(tmp_path, HOST=host, PORT=str(free_port()))
    assert_refused(proc, problem)
