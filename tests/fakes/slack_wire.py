"""Slack Web API wire helpers shared by the Slack fakes: identities, envelopes, arguments."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tests.fakes.base import Args, failed

BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T0001"
APP_ID = "A0FAKE"
# Fields slack_sdk sends as JSON strings when it uses a form or the query string.
JSON_FIELDS = ("blocks", "attachments", "metadata", "view", "files")
HIDDEN = ("deleted",)
Handler = Callable[[Args], Awaitable[web.StreamResponse]]


def ok(**data: Any) -> web.Response:
    return web.json_response({"ok": True, **data})


def error(code: str, *, status: int = 200,
          headers: dict[str, str] | None = None) -> web.StreamResponse:
    body = {"ok": False, "error": code}
    return failed(web.json_response(body, status=status, headers=headers), f"error:{code}")


async def read_args(request: web.Request) -> Args:
    """Merge query string, form body and JSON body, decoding JSON-string fields."""
    args: Args = dict(request.query)
    if request.content_type == "application/json":
        raw = await request.text()
        args.update(json.loads(raw) if raw else {})
    elif request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        args.update({k: v for k, v in form.items() if isinstance(v, str)})
    for key in JSON_FIELDS:
        if isinstance(args.get(key), str):
            try:
                args[key] = json.loads(args[key])
            except json.JSONDecodeError:
                pass
    return args


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[len("Bearer "):] if header.startswith("Bearer ") else None


def public(message: Args) -> Args:
    """A message as the Web API shows it: no bookkeeping flags, no nulls."""
    return {k: v for k, v in message.items()
            if k not in HIDDEN and v is not None and not (k == "reactions" and not v)}
