"""``slack-manifest.yml`` against the code: an app created from it can do all the bot does,
and asks for nothing more."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import SlackSettings
from tests.support.manifest_yaml import ManifestSyntaxError, load

ROOT = Path(__file__).resolve().parents[2]

# The bot-token scopes of each Web API method the bot calls (docs.slack.dev/reference/methods).
# conversations.* read the operators' channel, which may be public or private.
METHOD_SCOPES: dict[str, set[str]] = {
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "conversations.history": {"channels:history", "groups:history"},
    "conversations.replies": {"channels:history", "groups:history"},
    "files.getUploadURLExternal": {"files:write"},
    "files.completeUploadExternal": {"files:write"},
    "files.info": {"files:read"},
    "reactions.add": {"reactions:write"},
    "users.info": {"users:read"},
    "views.open": set(),
    "views.update": set(),
    "auth.test": set(),  # which workspace a bot token is installed in: no scope
}
# slack_sdk helpers that are several Web API calls
SDK_HELPERS = {"files_upload_v2": ("files.getUploadURLExternal", "files.completeUploadExternal")}
# message.* events per kind of conversation (docs.slack.dev/reference/events)
EVENT_SCOPES = {"message.channels": {"channels:history"}, "message.groups": {"groups:history"},
                "message.im": {"im:history"}, "message.mpim": {"mpim:history"}}


@pytest.fixture(scope="module")
def manifest() -> Any:
    return load((ROOT / "slack-manifest.yml").read_text())


def sources(*folders: str) -> Iterator[ast.AST]:
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield ast.parse(path.read_text())


def calls(*folders: str) -> Iterator[ast.Call]:
    for tree in sources(*folders):
        yield from (node for node in ast.walk(tree) if isinstance(node, ast.Call))


def called_name(call: ast.Call) -> tuple[str, str]:
    """``(receiver, method)`` of ``receiver.method(...)``: ``("self.client", "chat_update")``."""
    if not isinstance(call.func, ast.Attribute):
        return "", ""
    return ast.unparse(call.func.value), call.func.attr


def web_api_methods() -> set[str]:
    """Every Web API method the bot's own code calls on a slack_sdk client."""
    methods: set[str] = set()
    for call in calls("bot", "handlers"):
        receiver, name = called_name(call)
        if receiver.endswith("client") and callable(getattr(AsyncWebClient, name, None)):
            methods.update(SDK_HELPERS.get(name, (name.replace("_", ".", 1),)))
    return methods


def listened_events() -> set[str]:
    """Event types with a listener of their own in ``handlers/`` (not the catch-all)."""
    events: set[str] = set()
    for call in calls("handlers"):
        if called_name(call)[1] == "event" and call.args:
            kind = ast.literal_eval(call.args[0]) if _is_literal(call.args[0]) else None
            if isinstance(kind, dict):
                kind = kind.get("type")
            if isinstance(kind, str):
                events.add(kind)
    return events


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except ValueError:
        return False
    return True


def registers(method: str) -> bool:
    """Whether some handler registers a bolt listener with ``app.<method>(...)``."""
    return any(called_name(call) == ("app", method) for call in calls("handlers"))


def needed_scopes(bot_events: list[str]) -> set[str]:
    needed: set[str] = set()
    for method in web_api_methods():
        assert method in METHOD_SCOPES, f"{method}: add it and its scopes to METHOD_SCOPES"
        needed |= METHOD_SCOPES[method]
    for event in bot_events:
        needed |= EVENT_SCOPES[event]
    if registers("command"):
        needed.add("commands")
    if any("url_private" in ast.unparse(tree) for tree in sources("bot")):
        needed.add("files:read")  # operators' files are fetched with the bot token
    return needed


def test_the_code_analysis_sees_the_calls_it_checks() -> None:
    assert {"chat.postMessage", "users.info", "views.open"} <= web_api_methods()
    assert "message" in listened_events() and registers("command")


def test_the_bot_scopes_are_exactly_those_the_code_needs(manifest: Any) -> None:
    bot_events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(needed_scopes(bot_events))


def test_the_subscribed_events_are_those_the_handlers_listen_to(manifest: Any) -> None:
    bot_events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert {event.split(".")[0] for event in bot_events} == listened_events()
    # thread replies in the operators' channel, whether it is public or private; no DMs
    assert sorted(e for e in bot_events if e.startswith("message.")) == [
        "message.channels", "message.groups"]


def test_the_slash_command_is_the_default_one_and_escapes_mentions(manifest: Any) -> None:
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == SlackSettings().command
    # "/leads default owner @ann" must reach the bot as <@U…|ann>, not as the text "@ann"
    assert command["should_escape"] is True


def test_buttons_and_modals_have_interactivity_and_socket_mode_is_the_default(
        manifest: Any) -> None:
    assert registers("action") and registers("view")
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "Socket Mode (the manifest's default" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("text", ["a: {b: 1}", "a: [1, 2]", "a: yes", "a: &x b", "a: |",
                                  "a:\n\tb: c", "a: 8080", "a: b: c", "a:\n  - b\n c: d"])
def test_the_manifest_reader_refuses_what_it_does_not_understand(text: str) -> None:
    with pytest.raises(ManifestSyntaxError):
        load(text)


def test_the_manifest_reader_reads_nested_blocks_and_quoted_text() -> None:
    assert load('a:\n  - k: "#1" # note\n    j: true\n  - \'it\'\'s\'\nb: c:d\n') == {
        "a": [{"k": "#1", "j": True}, "it's"], "b": "c:d"}
