"""The Docker image and the compose file keep the bot's promises: hash-checked runtime
lock, non-root, a health check that tells a healthy bot from a dead one, Redis that
persists what the bot acknowledged, and bot replicas that can be scaled."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.support.bot_process import start_process, wait_healthy

ROOT = Path(__file__).resolve().parents[2]


def dockerfile_instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` with line continuations joined and comments dropped."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines
            if line and not line.startswith("#")]


def instruction(name: str) -> list[str]:
    return [args for kind, args in dockerfile_instructions() if kind == name]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def test_image_installs_the_runtime_lock_with_hashes_and_runs_as_non_root() -> None:
    assert instruction("FROM")[0].startswith("python:3.11-slim")
    assert any("pip install --require-hashes -r requirements.lock" in run
               for run in instruction("RUN"))
    assert instruction("USER")[-1] not in ("root", "0")
    assert json.loads(instruction("CMD")[-1]) == ["python", "-m", "bot"]
    ignored = (ROOT / ".dockerignore").read_text().split()
    for copy in instruction("COPY"):
        *sources, _ = copy.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            assert source not in ignored, source


def test_image_health_check_passes_on_a_live_bot_and_fails_on_a_dead_one(
        tmp_path: Path) -> None:
    check = json.loads(instruction("HEALTHCHECK")[0].split("CMD", 1)[1])
    assert check[0] == "python"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"HOST": "127.0.0.1", "PORT": str(port),
           "STORAGE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}"}

    def health_check() -> int:
        return subprocess.run([sys.executable, *check[1:]], env={"PORT": str(port)},
                              capture_output=True, timeout=30, check=False).returncode

    proc = start_process(env, tmp_path)
    try:
        asyncio.run(wait_healthy(f"http://127.0.0.1:{port}", proc))
        assert health_check() == 0
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert health_check() != 0


def test_compose_runs_the_bot_on_a_persistent_redis_and_can_scale_it() -> None:
    services = compose()["services"]
    bot, redis = services["bot"], services["redis"]
    assert bot["environment"]["STORAGE_URL"] == "redis://redis:6379/0"
    assert bot["env_file"] == ".env"
    assert "ports" not in bot and "container_name" not in bot  # --scale bot=3 must work
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") for volume in redis["volumes"])
