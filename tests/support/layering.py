"""What the layering rules (``layering_rules``) read: imports, calls, and which part of the
project a file or an imported name belongs to.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

PROJECT = ("bot", "storage", "handlers")
FRAMEWORKS = ("aiogram", "slack_bolt", "slack_sdk", "aiohttp")
STORE_DRIVERS = ("redis", "sqlite3", "aiosqlite")
ENTRY_POINT = "bot/__main__.py"
COMPOSITION_ROOT = ("bot/app.py", ENTRY_POINT)
# The process's start-up, which only the entry point may use: nothing reaches back into it.
ENTRY_POINT_ONLY = ("bot.app", "bot.startup")
# The aiohttp server itself: its app factory, and binding its sockets.
WEB_SERVER = ("bot/web.py", "bot/startup.py")
SLACK_WORKSPACE = "bot/slack/workspace.py"
# They validate settings with an adapter's own parser (a channel's table, the Redis URL).
SETTINGS_READERS = ("bot/config.py", "bot/inboxes.py")
WEB_API = frozenset({"api_call"} | {n for n in vars(AsyncWebClient) if not n.startswith("_")})


@dataclass(frozen=True)
class Source:
    root: Path
    path: Path

    @property
    def rel(self) -> str:
        return self.path.relative_to(self.root).as_posix()

    @property
    def tree(self) -> ast.Module:
        return parsed(self.path, self.path.stat().st_mtime_ns)

    @property
    def package(self) -> str:
        return ".".join(Path(self.rel).parent.parts)

    def imports(self) -> Iterator[tuple[int, str]]:
        """``(line, name)`` of every import, function-local ones too; ``from a import b``
        gives ``a.b``, so that a name taken from a package (``storage.create_storage``) is
        told apart from the package's other names."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                yield from ((node.lineno, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                module = self._absolute(node)
                yield from ((node.lineno, f"{module}.{alias.name}") for alias in node.names)

    def _absolute(self, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = self.package.split(".")[: len(self.package.split(".")) - node.level + 1]
        return ".".join([*base, *([node.module] if node.module else [])])

    def calls(self) -> Iterator[ast.Call]:
        return (node for node in ast.walk(self.tree) if isinstance(node, ast.Call))

    def offence(self, node: ast.AST, what: str) -> str:
        return f"{self.rel}:{getattr(node, 'lineno', 0)} {what}"


@cache
def parsed(path: Path, stamp: int) -> ast.Module:
    """Each file is parsed once per version (``stamp``), however many rules read it."""
    return ast.parse(path.read_text(), filename=str(path))


def sources(root: Path, *folders: str) -> list[Source]:
    return [Source(root, path) for folder in folders
            for path in sorted((root / folder).rglob("*.py"))]


def within(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(f"{p}.") for p in prefixes)


def imports_of(src: Source, *prefixes: str) -> list[str]:
    return [f"{src.rel}:{line} imports {name}" for line, name in src.imports()
            if within(name, *prefixes)]


def channel_package(rel: str, root: Path) -> str | None:
    """The channel a file belongs to, for files in ``bot/channels/<name>/``."""
    parts = rel.split("/")
    if len(parts) > 3 and parts[:2] == ["bot", "channels"] and root.joinpath(*parts[:3]).is_dir():
        return parts[2]
    return None


# the vendors' clients and the registry that builds them; the rest of bot/billing/ (the
# interface, settings, pure helpers, the lookup service and what the thread shows) is core
BILLING_ADAPTERS = ("stripe", "stripe_values", "zoho", "zoho_values", "zoho_auth", "http",
                    "create_providers", "PROVIDERS")


def _billing_adapter(rel: str) -> bool:
    stem = rel.removeprefix("bot/billing/").removesuffix(".py")
    return rel.startswith("bot/billing/") and stem in (*BILLING_ADAPTERS, "__init__")


def is_core(rel: str, root: Path) -> bool:
    """Everything in ``bot/`` except the composition root, the web server and the
    adapters (Slack, CRM vendors, billing providers, channel packages)."""
    edge = (rel in COMPOSITION_ROOT or rel in WEB_SERVER or rel.startswith("bot/slack/")
            or (rel.startswith("bot/crm/") and rel != "bot/crm/base.py")
            or _billing_adapter(rel)
            or channel_package(rel, root) is not None)
    return rel.startswith("bot/") and not edge


def adapter(name: str, root: Path) -> str | None:
    """The concrete adapter an imported name belongs to, or None for a neutral one."""
    parts = name.split(".")
    if parts[0] == "storage" and len(parts) > 1:
        if parts[1] == "redis_url":
            return "store URL parser"
        if parts[1] == "create_storage" or re.fullmatch(r"(sqlite|redis)(_\w+)?", parts[1]):
            return "store"
    if parts[:2] == ["bot", "crm"] and len(parts) > 2 and parts[2] != "base":
        return "CRM"
    if parts[:2] == ["bot", "billing"] and len(parts) > 2 and parts[2] in BILLING_ADAPTERS:
        return "billing provider"
    if parts[:2] == ["bot", "channels"] and len(parts) > 2:
        if (root / "bot/channels" / parts[2]).is_dir():
            return None if parts[3:4] == ["settings"] else f"channel {parts[2]}"
        if not (root / "bot/channels" / f"{parts[2]}.py").exists():
            return "registry of channels"
    return "Slack app builder" if within(name, "bot.slack.app") else None


def may_import(rel: str, kind: str) -> bool:
    """Besides the composition root: an adapter's own package and its registry, the
    settings readers (parsers only), and a channel's own listeners in ``handlers/``."""
    if kind.startswith("channel "):
        name = kind.removeprefix("channel ")
        return (rel.startswith(f"bot/channels/{name}/") or rel == "bot/channels/__init__.py"
                or re.fullmatch(rf"handlers/{name}(_\w+)?\.py", rel) is not None)
    homes = {"store": ("storage/",), "store URL parser": ("storage/", *SETTINGS_READERS),
             "CRM": ("bot/crm/",), "billing provider": ("bot/billing/",), "registry of channels": ("bot/channels/", *SETTINGS_READERS),
             "Slack app builder": ("bot/slack/",)}
    return any(rel.startswith(home) for home in homes[kind])
