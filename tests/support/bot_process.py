"""Running the real ``python -m bot`` (or another module) as a process, for the crash,
torture and startup tests and the benchmark."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


def start_process(env: dict[str, str], cwd: Path, *, module: str = "bot",
                  args: tuple[str, ...] = (),
                  stderr: int | IO[bytes] = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    """``python -m module`` from ``cwd`` (so no developer's .env is read) with only
    ``env`` plus PATH, and the repository importable."""
    full = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env}
    return subprocess.Popen([sys.executable, "-m", module, *args], cwd=cwd, env=full,
                            stdout=subprocess.DEVNULL, stderr=stderr)


async def wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Until ``GET base/healthz`` answers 200; fails at once if the process exits."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the process exited with {proc.returncode} before it "
                                   "became healthy")
            try:
                async with session.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{base} did not become healthy in {timeout:g}s")
