"""A fresh start with no tokens: embedded store, clear log lines, /healthz answering."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

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
