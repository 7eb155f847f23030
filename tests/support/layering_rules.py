"""The layering rules of ARCHITECTURE.md and STYLE.md, one function each.

``rule(root) -> list[str]``: one line per offence, ``path:line what``, so that a failing
test names the file and the import or call.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.layering import (
    COMPOSITION_ROOT,
    ENTRY_POINT,
    ENTRY_POINT_ONLY,
    FRAMEWORKS,
    PROJECT,
    SLACK_WORKSPACE,
    STORE_DRIVERS,
    WEB_API,
    Source,
    adapter,
    channel_package,
    imports_of,
    is_core,
    may_import,
    sources,
    within,
)


def models_are_a_leaf(root: Path) -> list[str]:
    """``bot/models.py`` imports nothing from the project."""
    return imports_of(Source(root, root / "bot/models.py"), *PROJECT)


def storage_sees_only_models_and_errors(root: Path) -> list[str]:
    """``storage/`` imports from the rest of the project only ``bot.models``, ``bot.errors``."""
    return [offence for src in sources(root, "storage")
            for offence in imports_of(src, "bot", "handlers")
            if not within(offence.split(" imports ")[1], "bot.models", "bot.errors")]


def core_imports_no_framework(root: Path) -> list[str]:
    """The core (every ``bot/`` module but the root, the web server and the adapters)
    imports no framework, HTTP library or store driver."""
    return [offence for src in sources(root, "bot") if is_core(src.rel, root)
            for offence in imports_of(src, *FRAMEWORKS, *STORE_DRIVERS)]


def only_the_root_imports_handlers(root: Path) -> list[str]:
    """Of ``bot/``, only the composition root knows the listeners, and a channel package
    its own (``handlers.<name>_…``, and the router set-up in ``handlers``), which its
    route or runner serves."""
    offences = []
    for src in sources(root, "bot"):
        if src.rel == "bot/app.py":
            continue
        own = channel_package(src.rel, root)
        offences += [offence for offence in imports_of(src, "handlers")
                     if own is None or not _own_listener(offence, own)]
    return offences


def _own_listener(offence: str, channel: str) -> bool:
    imported = offence.rsplit(" imports ", 1)[-1]
    name = imported.removeprefix("handlers.")
    return name.startswith(f"{channel}_") or name == f"setup_{channel}_routers"


def nothing_reaches_back_into_the_root(root: Path) -> list[str]:
    """The composition root and the start-up are the entry point's alone."""
    return [offence for src in sources(root, *PROJECT) if src.rel != ENTRY_POINT
            for offence in imports_of(src, *ENTRY_POINT_ONLY)]


def handlers_use_no_store(root: Path) -> list[str]:
    """Listeners unpack an event and call the core, which alone talks to the store."""
    return [offence for src in sources(root, "handlers")
            for offence in imports_of(src, "storage", *STORE_DRIVERS)]


def handlers_call_no_web_api(root: Path) -> list[str]:
    """Listeners take no Web API client and call none of its methods (nor bolt's ``say``)."""
    found: list[str] = []
    for src in sources(root, "handlers"):
        found += imports_of(src, "slack_sdk.web")
        found += [src.offence(call, f"calls {ast.unparse(call.func)}") for call in src.calls()
                  if called(call) in WEB_API or called(call) == "say"]
    return found


def web_api_only_in_the_workspace(root: Path) -> list[str]:
    """Every Slack Web API call goes through ``SlackWorkspace``."""
    return [src.offence(call, f"calls {ast.unparse(call.func)}")
            for src in sources(root, *PROJECT) if src.rel != SLACK_WORKSPACE
            for call in src.calls() if called(call) in WEB_API]


def only_the_root_imports_adapters(root: Path) -> list[str]:
    """Stores, CRM vendors, channel packages and the Slack app builder are imported by the
    composition root (and their own package, registry and listeners) only."""
    found: list[str] = []
    for src in sources(root, *PROJECT):
        if src.rel in COMPOSITION_ROOT:
            continue
        for line, name in src.imports():
            kind = adapter(name, root)
            if kind is not None and not may_import(src.rel, kind):
                found.append(f"{src.rel}:{line} imports {name} ({kind})")
    return found


def channels_stay_apart(root: Path) -> list[str]:
    """A channel package imports no other channel, no Slack, no store, no CRM and no
    listener but its own; the Slack adapter imports no channel code."""
    found: list[str] = []
    for src in sources(root, "bot"):
        if (own := channel_package(src.rel, root)) is not None:
            found += [offence for offence in imports_of(src, *OFF_LIMITS_TO_CHANNELS)
                      if not _own_listener(offence, own)]
            found += [f"{src.rel}:{line} imports {name} ({kind})"
                      for line, name in src.imports()
                      if is_another_channel(kind := adapter(name, root), own)]
        elif src.rel.startswith("bot/slack/"):
            found += imports_of(src, "bot.channels")
    return found


OFF_LIMITS_TO_CHANNELS = ("bot.slack", "slack_bolt", "slack_sdk", "storage", *STORE_DRIVERS,
                          "bot.crm", "handlers")


def is_another_channel(kind: str | None, own: str) -> bool:
    """Another channel's package, or the registry of them all."""
    if kind is None or kind == f"channel {own}":
        return False
    return kind == "registry of channels" or kind.startswith("channel ")


def called(call: ast.Call) -> str:
    """The name a call is made by: ``method`` of ``x.method(...)``, ``f`` of ``f(...)``."""
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return call.func.id if isinstance(call.func, ast.Name) else ""


PROCESS_CALLS = ("sys.exit", "exit", "quit", "os._exit", "logging.basicConfig", "asyncio.run")
ENVIRONMENT = ("os.environ", "os.environb", "os.getenv", "os.putenv", "dotenv")


def only_the_entry_point_runs_the_process(root: Path) -> list[str]:
    """Exiting, configuring logging and running the event loop are ``bot/__main__.py``'s."""
    found: list[str] = []
    for src in sources(root, *PROJECT):
        if src.rel == ENTRY_POINT:
            continue
        found += imports_of(src, *(c for c in PROCESS_CALLS if "." in c))
        found += [src.offence(call, f"calls {ast.unparse(call.func)}") for call in src.calls()
                  if ast.unparse(call.func) in PROCESS_CALLS]
        found += [src.offence(node, "raises SystemExit") for node in ast.walk(src.tree)
                  if isinstance(node, ast.Raise) and node.exc is not None
                  and "SystemExit" in ast.unparse(node.exc)]
    return found


def only_the_entry_point_reads_the_environment(root: Path) -> list[str]:
    """Settings are read once, by ``bot/__main__.py``, and passed in."""
    found: list[str] = []
    for src in sources(root, *PROJECT):
        if src.rel == ENTRY_POINT:
            continue
        found += imports_of(src, *ENVIRONMENT)
        found += [src.offence(node, f"reads {ast.unparse(node)}") for node in ast.walk(src.tree)
                  if isinstance(node, ast.Attribute) and ast.unparse(node) in ENVIRONMENT]
    return found


def only_the_root_opens_http_sessions(root: Path) -> list[str]:
    """Long-lived clients are built once, by the composition root, and passed in."""
    return [src.offence(call, f"calls {ast.unparse(call.func)}")
            for src in sources(root, *PROJECT) if src.rel not in COMPOSITION_ROOT
            for call in src.calls() if called(call) == "ClientSession"]


def nothing_is_imported_dynamically(root: Path) -> list[str]:
    """Adapters come from explicit registries, never from a name looked up at run time."""
    found: list[str] = []
    for src in sources(root, *PROJECT):
        found += imports_of(src, "importlib.import_module")
        found += [src.offence(call, f"calls {ast.unparse(call.func)}") for call in src.calls()
                  if called(call) in ("import_module", "__import__")]
    return found


def handlers_register_nothing_on_import(root: Path) -> list[str]:
    """Registration is explicit, in one function per framework: no listener is decorated,
    and no call runs, at a handler module's top level."""
    found: list[str] = []
    for src in sources(root, "handlers"):
        for node in src.tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.decorator_list:
                found.append(src.offence(node, f"decorates {node.name} on import"))
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                found.append(src.offence(node, f"calls {ast.unparse(node.value.func)} on import"))
    return found


HANDLER_LINES = 15


def handlers_are_thin(root: Path) -> list[str]:
    """A listener unpacks an event and calls the core: at most 15 lines of body, not
    counting its docstring and the functions nested in it."""
    return [src.offence(fn, f"{fn.name} has {size} lines")
            for src in sources(root, "handlers") for fn in ast.walk(src.tree)
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
            and (size := body_lines(fn)) > HANDLER_LINES]


def body_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = fn.body[1:] if ast.get_docstring(fn) is not None and len(fn.body) > 1 else fn.body
    lines = {n for stmt in body for n in range(stmt.lineno, (stmt.end_lineno or 0) + 1)}
    for stmt in body:
        for inner in ast.walk(stmt):
            if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                start = min([inner.lineno, *(d.lineno for d in inner.decorator_list)])
                lines -= set(range(start, (inner.end_lineno or 0) + 1))
    return len(lines)
