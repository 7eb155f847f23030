"""Bot API wire helpers for :class:`FakeTelegramAPI`: request decoding, errors, objects.

aiogram posts every method as aiohttp ``FormData``: urlencoded without files, multipart with
them. Strings go as-is; ints, bools, dicts and lists are JSON-dumped; an ``InputFile``
becomes ``"attach://<random>"`` plus a multipart part named ``<random>`` (aiogram
``client/session/base.py::prepare_value``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from tests.fakes.base import Args, failed

# Fields that are strings on the wire even when they look like JSON ("123", "true").
STRING_FIELDS = frozenset({
    "text", "caption", "parse_mode", "title", "performer", "file_name", "emoji", "url",
    "secret_token", "description", "short_description", "name", "question", "address",
    "phone_number", "first_name", "last_name", "vcard", "inline_message_id", "action",
    "language_code", "business_connection_id", "message_effect_id", "ip_address",
    "photo", "document", "voice", "video", "audio", "animation", "video_note", "sticker",
    "thumbnail", "file_id",
})
BOT_USER: Args = {"id": 42, "is_bot": True, "first_name": "Desk", "username": "desk_bot",
                  "can_join_groups": True, "can_read_all_group_messages": False,
                  "supports_inline_queries": False}
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden: bot was blocked by the user",
    404: "Not Found", 409: "Conflict", 413: "Request Entity Too Large",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
}
HTML_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span",
                       "tg-spoiler", "a", "code", "pre", "blockquote", "tg-emoji"})
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_TAG_NAME = re.compile(r"[a-zA-Z0-9-]*")


@dataclass(frozen=True)
class Upload:
    """One multipart file part as the fake received it."""

    field: str
    filename: str
    content_type: str
    content: bytes

    def describe(self) -> Args:
        return {"field": self.field, "filename": self.filename, "size": len(self.content),
                "content_type": self.content_type}


def decode_field(key: str, value: str) -> Any:
    if key in STRING_FIELDS:
        return value
    try:
        decoded = json.loads(value)
    except json.JSONDecodeError:
        return value
    return value if isinstance(decoded, str) else decoded


async def read_form(request: web.Request) -> tuple[Args, dict[str, Upload]]:
    """Decode a Bot API request body into (arguments, multipart files by part name)."""
    args: Args = {k: decode_field(k, v) for k, v in request.query.items()}
    if request.content_type == "application/json":
        raw = await request.text()
        args.update(json.loads(raw) if raw else {})
        return args, {}
    form: MultiDictProxy[Any] = await request.post()
    files: dict[str, Upload] = {}
    for key, value in form.items():
        if isinstance(value, str):
            args[key] = decode_field(key, value)
        else:
            files[key] = Upload(field=key, filename=value.filename,
                                content_type=value.content_type, content=value.file.read())
    return args, files


def ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def error(status: int, description: str | None = None, *,
          retry_after: int | None = None) -> web.Response:
    """The Bot API error envelope; the HTTP status equals ``error_code``."""
    text = description or DEFAULT_DESCRIPTIONS.get(status, "Error")
    body: Args = {"ok": False, "error_code": status, "description": text}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


def refusal(status: int, description: str) -> web.StreamResponse:
    """A refusal by the platform's own rules (filed under ``faults`` as ``error:…``)."""
    return failed(error(status, description), f"error:{description}")


def bad_request(detail: str) -> web.StreamResponse:
    return refusal(400, f"Bad Request: {detail}")


def chat_json(chat_id: int) -> Args:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Customer"}
    return {"id": chat_id, "type": "supergroup", "title": "Group"}


def media_json(kind: str, *, file_id: str, unique_id: str, size: int,
               filename: str | None, mime: str | None, args: Args) -> Any:
    """The Bot API object describing a sent file of ``kind`` (photo, document, …)."""
    base: Args = {"file_id": file_id, "file_unique_id": unique_id, "file_size": size}
    duration = {"duration": int(args.get("duration") or 1)}
    named = {"file_name": filename, "mime_type": mime} if filename else {}
    if kind == "photo":
        thumb = {**base, "file_id": f"{file_id}_s", "file_unique_id": f"{unique_id}_s",
                 "width": 90, "height": 90, "file_size": min(size, 1024)}
        return [thumb, {**base, "width": 1280, "height": 960}]
    if kind == "sticker":
        return {**base, "type": "regular", "width": 512, "height": 512,
                "is_animated": False, "is_video": False}
    if kind == "voice":
        return {**base, **duration, "mime_type": "audio/ogg"}
    if kind == "video_note":
        return {**base, **duration, "length": 240}
    if kind in ("video", "animation"):
        return {**base, **named, **duration, "width": 640, "height": 480}
    if kind == "audio":
        return {**base, **named, **duration}
    return {**base, **named}


def html_to_plain(text: str) -> str:
    """Strip Telegram-HTML markup the way the Bot API does, or raise ``ValueError`` with
    the API's own "can't parse entities" wording for markup it rejects."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "&" and (m := _ENTITY.match(text, i)):
            out.append(_unescape(m.group(1)))
            i = m.end()
        elif char == "<":
            i = _html_tag(text, i, stack)
        else:
            out.append(char)
            i += 1
    if stack:
        raise ValueError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def _html_tag(text: str, start: int, stack: list[str]) -> int:
    offset = len(text[:start].encode("utf-8"))
    closing = text.startswith("</", start)
    name_at = start + (2 if closing else 1)
    name = _TAG_NAME.match(text, name_at).group(0).lower()  # type: ignore[union-attr]
    end = text.find(">", name_at)
    if end == -1:
        raise ValueError(f"Unclosed start tag at byte offset {offset}")
    if closing:
        if not stack or stack[-1] != name:
            expected = f'"</{stack[-1]}>"' if stack else "no end tag"
            raise ValueError(f"Unmatched end tag at byte offset {offset}, "
                             f'expected {expected}, found "</{name}>"')
        stack.pop()
    elif name not in HTML_TAGS:
        raise ValueError(f'Unsupported start tag "{name}" at byte offset {offset}')
    else:
        stack.append(name)
    return end + 1


def _unescape(entity: str) -> str:
    named = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
    if entity in named:
        return named[entity]
    number = entity[2:] if entity.startswith("#x") else entity[1:]
    return chr(int(number, 16 if entity.startswith("#x") else 10))
