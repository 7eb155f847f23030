"""``python -m bot --help`` answers without reading the configuration or starting anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bot(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # A configuration that would stop the bot with exit 2 if it were read.
    env = {**os.environ, "PORT": "not-a-port", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def test_help_prints_usage_and_exits_zero_without_reading_config(tmp_path: Path) -> None:
    for flag in ("--help", "-h"):
        done = run_bot(flag, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("usage: operator-bot")
        assert "leads export --format csv|jsonl" in done.stdout
        assert "configuration error" not in done.stderr
    assert not (tmp_path / "data").exists()  # no store was opened


def test_unknown_command_still_exits_2(tmp_path: Path) -> None:
    done = run_bot("frobnicate", cwd=tmp_path)
    assert done.returncode == 2
