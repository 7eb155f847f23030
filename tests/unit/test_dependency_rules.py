"""The layering the architecture promises, checked on the source (STYLE: dependency rules)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = ("aiogram", "slack_bolt", "slack_sdk")


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_models_import_nothing_from_the_project() -> None:
    assert not {n for n in imports(ROOT / "bot/models.py") if n.split(".")[0] in
                ("bot", "storage", "handlers")}


@pytest.mark.parametrize("path", modules("storage"), ids=lambda p: p.name)
def test_storage_imports_only_models_and_errors(path: Path) -> None:
    project = {n for n in imports(path) if n.split(".")[0] in ("bot", "handlers")}
    assert project <= {"bot.models", "bot.errors"}


@pytest.mark.parametrize("name", ["bridge.py", "actions.py", "desk.py", "leads.py", "relay.py",
                                  "outbox.py", "cards.py"])
def test_core_does_not_import_frameworks(name: str) -> None:
    assert not {n for n in imports(ROOT / "bot" / name) if n.split(".")[0] in FRAMEWORKS}


@pytest.mark.parametrize("path", modules("bot") + modules("handlers"), ids=lambda p: p.name)
def test_only_the_composition_root_imports_concrete_stores(path: Path) -> None:
    if path.name in ("app.py", "__main__.py", "export.py") and path.parent.name == "bot":
        return
    assert not {n for n in imports(path) if n in ("storage.sqlite", "storage.redis")}
