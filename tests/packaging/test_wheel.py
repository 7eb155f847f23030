"""``pip install .`` gives a working bot: the wheel carries every module and template, and
the installed copy renders from its own templates, not from a checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("bot", "handlers", "storage", "templates")
pytestmark = pytest.mark.slow


def offline_env(**extra: str) -> dict[str, str]:
    """No pip configuration, no index, no checkout on the path: only what the test names."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    return {**env, "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", **extra}


def pip(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                          env=offline_env(), capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the project, installed into a bare target folder."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in SOURCES:
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(work / "dist"), str(src))
    (wheel,) = (work / "dist").glob("operator_bot-*.whl")
    pip("install", "--no-deps", "--target", str(work / "site"), str(wheel))
    return work / "site"


def relative_files(root: Path, pattern: str) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob(pattern)
            if "__pycache__" not in p.parts}


def test_wheel_holds_every_module_and_template(installed: Path) -> None:
    for package in ("bot", "handlers", "storage"):
        assert relative_files(installed / package, "*.py") == relative_files(ROOT / package,
                                                                              "*.py")
    assert relative_files(installed / "bot" / "templates", "*") == relative_files(
        ROOT / "templates", "*")


def test_console_script_prints_usage_from_the_installed_copy(installed: Path,
                                                              tmp_path: Path) -> None:
    env = offline_env(PYTHONPATH=str(installed), PORT="not-a-port")
    done = subprocess.run([str(installed / "bin" / "operator-bot"), "--help"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: operator-bot")


def test_installed_renderer_reads_its_own_templates(installed: Path, tmp_path: Path) -> None:
    script = ("import bot.rendering as r; "
              "print(r.__file__); print(r.TEMPLATES); "
              "print(len(r.Renderer().template_names())); "
              "print(r.Renderer().render_customer('greeting', 'fr', {'name': 'Ann'}))")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path,
                          env=offline_env(PYTHONPATH=str(installed)),
                          capture_output=True, text=True, timeout=60, check=True)
    module, templates, count, *greeting = done.stdout.splitlines()
    assert Path(module).is_relative_to(installed)
    assert Path(templates) == installed / "bot" / "templates"
    assert int(count) == len(relative_files(ROOT / "templates", "*.j2"))
    assert "Ann" in "\n".join(greeting)
