"""A fresh start with no tokens: embedded store, clear log lines, /healthz answering."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

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
