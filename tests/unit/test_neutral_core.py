"""The core speaks to customers through channels, never in one channel's terms: it queues
a customer text's purpose, language and context, and the channel renders it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ["bot/conversation_events.py", "bot/actions.py", "bot/delivery_jobs.py", "bot/manager", "bot/lifecycle"]
# One channel's name, its markup, or its own templates.
CHANNEL_SPECIFIC = re.compile(r"telegram|html", re.IGNORECASE)


def core_modules() -> list[Path]:
    paths: list[Path] = []
    for name in CORE:
        path = ROOT / name
        paths += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return paths


@pytest.mark.parametrize("path", core_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_module_names_no_channel_format(path: Path) -> None:
    relative = str(path.relative_to(ROOT))
    found = [f"{relative}:{number}: {line.strip()}"
             for number, line in enumerate(path.read_text().splitlines(), 1)
             if CHANNEL_SPECIFIC.search(line)]
    assert not found, "the core names a channel or its format:\n" + "\n".join(found)


def test_the_check_sees_the_core() -> None:
    assert len(core_modules()) > 10
