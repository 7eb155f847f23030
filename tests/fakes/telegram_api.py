"""FakeTelegramAPI: a local Bot API server for aiogram 3.

Point the real client at it::

    Bot("42:TEST", session=AiohttpSession(api=TelegramAPIServer.from_base(fake.url)))

``sent[chat_id]`` is what the customer sees in each chat; ``files`` backs getFile and the
``/file/bot{token}/{path}`` downloads. See ``tests/fakes/base.py`` for calls and faults.
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, web

from tests.fakes.base import Args, Fault, FakeServer
from tests.fakes.telegram_media import FileStore, MediaError
from tests.fakes.telegram_updates import UpdateFeed
from tests.fakes.telegram_wire import (
    BOT_USER,
    Upload,
    bad_request,
    chat_json,
    error,
    html_to_plain,
    ok,
    read_form,
    refusal,
)


@dataclass(frozen=True)
class Call:
    """What a method handler gets besides its arguments."""

    files: dict[str, Upload]
    gone: Callable[[], bool]


Handler = Callable[[Args, Call], Awaitable[web.StreamResponse]]
SEND_KINDS = {"sendPhoto": "photo", "sendDocument": "document", "sendVoice": "voice",
              "sendVideo": "video", "sendAudio": "audio", "sendAnimation": "animation",
              "sendSticker": "sticker", "sendVideoNote": "video_note"}
CONTENT_KEYS = ("text", "caption", "photo", "document", "voice", "video", "audio", "animation",
                "sticker", "video_note", "location", "contact")
BLOCKED = "Forbidden: bot was blocked by the user"


class FakeTelegramAPI(FakeServer):
    """Bot API fake. See the module docstring and ``tests/fakes/base.py``."""

    mutating = frozenset({"sendMessage", *SEND_KINDS, "sendLocation", "sendMediaGroup",
                          "copyMessage", "editMessageText", "editMessageCaption",
                          "deleteMessage", "sendChatAction"})

    def __init__(self, *, token: str = "42:TEST") -> None:
        super().__init__()
        self.token = token
        self.me: Args = {**BOT_USER, "id": int(token.split(":")[0])}
        self.sent: defaultdict[int, list[Args]] = defaultdict(list)
        self.blocked: set[int] = set()
        self.commands: list[Args] = []
        self.files = FileStore()
        self.feed = UpdateFeed(self)
        self._last_ids: dict[int, int] = {}
        self._inbound: dict[tuple[int, int], Args] = {}
        self._groups = 0
        self._methods: dict[str, Handler] = {
            "getMe": self._simple(lambda a: self.me),
            "getUpdates": lambda a, c: self.feed.get_updates(a, c.gone),
            "setWebhook": lambda a, c: self.feed.set_webhook(a),
            "deleteWebhook": lambda a, c: self.feed.delete_webhook(a),
            "getWebhookInfo": lambda a, c: self.feed.webhook_info(a),
            "sendMessage": self._send_message,
            **{name: functools.partial(self._send_media, name, kind)
               for name, kind in SEND_KINDS.items()},
            "sendLocation": self._send_location,
            "sendMediaGroup": self._send_media_group,
            "copyMessage": self._copy_message,
            "editMessageText": functools.partial(self._edit, "text"),
            "editMessageCaption": functools.partial(self._edit, "caption"),
            "deleteMessage": self._delete_message,
            "getFile": lambda a, c: self._get_file(a),
            "sendChatAction": self._simple(lambda a: True),
            "setMyCommands": self._simple(self._set_commands),
        }
        self._by_lower = {name.lower(): name for name in self._methods}
        self.app.router.add_route("*", "/bot{token}/{method}", self._api)
        self.app.router.add_get("/file/bot{token}/{path:.*}", self._download)

    # -- test helpers ----------------------------------------------------------------------

    def push_update(self, update: Args) -> int:
        return self.feed.push(update)

    @property
    def updates(self) -> list[Args]:
        """Updates not yet confirmed through getUpdates."""
        return self.feed.pending

    @property
    def uploads(self) -> list[Args]:
        return self.files.uploads

    async def deliver_webhook(self, session: ClientSession, url: str, update: Args,
                              secret: str | None = None) -> int:
        return await self.feed.deliver(session, url, update, secret)

    def add_file(self, file_id: str, content: bytes, file_path: str = "photos/file_1.jpg", *,
                 declared_size: int | None = None, file_unique_id: str | None = None) -> Args:
        return self.files.add(file_id, content, file_path, declared_size=declared_size,
                              unique_id=file_unique_id)

    def chat(self, chat_id: int) -> list[Args]:
        """The bot's messages in ``chat_id`` that the customer can still see."""
        return [m for m in self.sent[chat_id] if not m["deleted"]]

    def texts(self, chat_id: int) -> list[str]:
        return [str(m.get("text") or m.get("caption") or "") for m in self.chat(chat_id)]

    def observe(self, update: Args) -> None:
        """Learn message ids and file ids of an update the bot is about to receive."""
        for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
            message = update.get(key)
            if isinstance(message, dict):
                chat_id = int(message["chat"]["id"])
                self._bump(chat_id, int(message["message_id"]))
                self._inbound[(chat_id, int(message["message_id"]))] = message
                self.files.learn(message)

    async def serve(self, request: web.Request) -> web.StreamResponse:
        """Answer a Bot API or file request another server routed here by its token."""
        if "method" in request.match_info:
            return await self._api(request)
        return await self._download(request)

    # -- pipeline --------------------------------------------------------------------------

    def default_status(self, error: str | None) -> int:
        prefixes = {"Bad Request": 400, "Unauthorized": 401, "Forbidden": 403,
                    "Not Found": 404, "Conflict": 409, "Too Many Requests": 429}
        found = [code for prefix, code in prefixes.items() if (error or "").startswith(prefix)]
        return found[0] if found else (400 if error else 500)

    def fault_response(self, fault: Fault) -> web.StreamResponse:
        if fault.status == 429:
            wait = fault.retry_after if fault.retry_after is not None else 1
            return error(429, fault.error or f"Too Many Requests: retry after {wait}",
                         retry_after=wait)
        return error(fault.status, fault.error)

    async def _api(self, request: web.Request) -> web.StreamResponse:
        args, files = await read_form(request)
        if files:
            args["uploads"] = [upload.describe() for upload in files.values()]
        name = self._by_lower.get(request.match_info["method"].lower())
        method = name or request.match_info["method"]
        call = Call(files=files, gone=lambda: request.transport is None
                    or request.transport.is_closing())

        async def handler(call_args: Args) -> web.StreamResponse:
            if request.match_info["token"] != self.token:
                return refusal(401, "Unauthorized")
            if name is None:
                return refusal(404, "Not Found")
            return await self._methods[name](call_args, call)

        return await self.run(request, method, args, handler)

    async def _download(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]

        async def handler(call_args: Args) -> web.StreamResponse:
            if request.match_info["token"] != self.token:
                return refusal(401, "Unauthorized")
            stored = self.files.by_path(path)
            if stored is None:
                return refusal(404, "Not Found")
            return web.Response(body=stored.content, content_type="application/octet-stream")

        return await self.run(request, "file", {"file_path": path}, handler)

    @staticmethod
    def _simple(result: Callable[[Args], Any]) -> Handler:
        async def handler(args: Args, call: Call) -> web.StreamResponse:
            return ok(result(args))

        return handler

    def _set_commands(self, args: Args) -> bool:
        self.commands = list(args.get("commands") or [])
        return True

    # -- sending ---------------------------------------------------------------------------

    def _target(self, args: Args) -> int | web.StreamResponse:
        chat_id = args.get("chat_id")
        if chat_id in (None, ""):
            return bad_request("chat_id is empty")
        if not isinstance(chat_id, int):
            return bad_request("chat not found")
        if chat_id in self.blocked:
            return refusal(403, BLOCKED)
        return chat_id

    @staticmethod
    def _rendered(args: Args, key: str, limit: int) -> str | web.StreamResponse:
        raw = str(args.get(key) or "")
        try:
            plain = html_to_plain(raw) if args.get("parse_mode") == "HTML" else raw
        except ValueError as exc:
            return bad_request(f"can't parse entities: {exc}")
        if key == "text" and not plain.strip():
            return bad_request("message text is empty")
        if len(plain) > limit:
            return bad_request("message is too long" if key == "text"
                               else "message caption is too long")
        return plain

    def _bump(self, chat_id: int, message_id: int) -> None:
        self._last_ids[chat_id] = max(self._last_ids.get(chat_id, 0), message_id)

    def _deliver(self, chat_id: int, method: str, content: Args, args: Args,
                 **extra: Any) -> Args:
        """Append a bot message to ``chat_id`` and return its bookkeeping entry."""
        message_id = self._last_ids.get(chat_id, 0) + 1
        self._bump(chat_id, message_id)
        message: Args = {"message_id": message_id, "from": self.me, "chat": chat_json(chat_id),
                         "date": int(time.time()), **extra, **content}
        markup = args.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        kind = next((k for k in CONTENT_KEYS if k in content and k != "caption"), "text")
        entry: Args = {"message_id": message_id, "method": method, "kind": kind,
                       "text": content.get("text"), "caption": content.get("caption"),
                       "reply_markup": markup, "edited": False, "deleted": False,
                       "upload": args.get("uploads"), "message": message}
        self.sent[chat_id].append(entry)
        return entry

    async def _send_message(self, args: Args, call: Call) -> web.StreamResponse:
        chat_id = self._target(args)
        if isinstance(chat_id, web.StreamResponse):
            return chat_id
        text = self._rendered(args, "text", 4096)
        if isinstance(text, web.StreamResponse):
            return text
        return ok(self._deliver(chat_id, "sendMessage", {"text": text}, args)["message"])

    def _media_content(self, kind: str, args: Args, call: Call) -> Args | web.StreamResponse:
        caption = self._rendered(args, "caption", 1024)
        if isinstance(caption, web.StreamResponse):
            return caption
        try:
            media = self.files.media(kind, args.get(kind), call.files, args)
        except MediaError as exc:
            return bad_request(str(exc))
        content: Args = {kind: media}
        if kind == "animation":
            content["document"] = media
        if caption:
            content["caption"] = caption
        return content

    async def _send_media(self, method: str, kind: str, args: Args,
                          call: Call) -> web.StreamResponse:
        chat_id = self._target(args)
        if isinstance(chat_id, web.StreamResponse):
            return chat_id
        content = self._media_content(kind, args, call)
        if isinstance(content, web.StreamResponse):
            return content
        return ok(self._deliver(chat_id, method, content, args)["message"])

    async def _send_location(self, args: Args, call: Call) -> web.StreamResponse:
        chat_id = self._target(args)
        if isinstance(chat_id, web.StreamResponse):
            return chat_id
        location = {"latitude": float(args.get("latitude") or 0),
                    "longitude": float(args.get("longitude") or 0)}
        return ok(self._deliver(chat_id, "sendLocation", {"location": location}, args)["message"])

    async def _send_media_group(self, args: Args, call: Call) -> web.StreamResponse:
        chat_id = self._target(args)
        if isinstance(chat_id, web.StreamResponse):
            return chat_id
        items = args.get("media")
        if not isinstance(items, list) or not 2 <= len(items) <= 10:
            return bad_request("wrong number of media in the group: must be 2-10")
        contents = [self._media_content(str(i.get("type")), {**i, i.get("type"): i.get("media")},
                                        call) for i in items]
        problem = next((c for c in contents if isinstance(c, web.StreamResponse)), None)
        if problem is not None:
            return problem
        self._groups += 1
        group = f"1300000000{self._groups:06d}"
        return ok([self._deliver(chat_id, "sendMediaGroup", c, args, media_group_id=group)[
            "message"] for c in contents if isinstance(c, dict)])

    async def _copy_message(self, args: Args, call: Call) -> web.StreamResponse:
        chat_id = self._target(args)
        if isinstance(chat_id, web.StreamResponse):
            return chat_id
        source = self._find_any(args.get("from_chat_id"), args.get("message_id"))
        if source is None:
            return bad_request("message to copy not found")
        content = {k: v for k, v in source.items() if k in CONTENT_KEYS}
        if args.get("caption") is not None and "text" not in content:
            caption = self._rendered(args, "caption", 1024)
            if isinstance(caption, web.StreamResponse):
                return caption
            content["caption"] = caption
        entry = self._deliver(chat_id, "copyMessage", content, args)
        return ok({"message_id": entry["message_id"]})

    # -- editing, deleting, files ----------------------------------------------------------

    def _find_any(self, chat_id: Any, message_id: Any) -> Args | None:
        if not isinstance(chat_id, int) or not isinstance(message_id, int):
            return None
        entry = self._find_sent(chat_id, message_id)
        return entry["message"] if entry is not None else self._inbound.get((chat_id, message_id))

    def _find_sent(self, chat_id: Any, message_id: Any) -> Args | None:
        if not isinstance(chat_id, int):
            return None
        return next((m for m in self.sent.get(chat_id, [])
                     if m["message_id"] == message_id and not m["deleted"]), None)

    async def _edit(self, key: str, args: Args, call: Call) -> web.StreamResponse:
        if args.get("inline_message_id"):
            return ok(True)
        entry = self._find_sent(args.get("chat_id"), args.get("message_id"))
        if entry is None:
            return bad_request("message to edit not found")
        if (key == "text") != (entry["kind"] == "text"):
            return bad_request(f"there is no {key} in the message to edit")
        new = self._rendered(args, key, 4096 if key == "text" else 1024)
        if isinstance(new, web.StreamResponse):
            return new
        if new == entry[key] and args.get("reply_markup") == entry["reply_markup"]:
            return bad_request("message is not modified: specified new message content and "
                               "reply markup are exactly the same as a current content and "
                               "reply markup of the message")
        markup = args.get("reply_markup")
        entry.update({key: new, "edited": True, "reply_markup": markup})
        message = {k: v for k, v in entry["message"].items() if k != "reply_markup"}
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        entry["message"] = {**message, key: new, "edit_date": int(time.time())}
        return ok(entry["message"])

    async def _delete_message(self, args: Args, call: Call) -> web.StreamResponse:
        entry = self._find_sent(args.get("chat_id"), args.get("message_id"))
        inbound = (args.get("chat_id"), args.get("message_id"))
        if entry is not None:
            entry["deleted"] = True
        elif inbound in self._inbound:
            del self._inbound[inbound]  # type: ignore[arg-type]
        else:
            return bad_request("message to delete not found")
        return ok(True)

    async def _get_file(self, args: Args) -> web.StreamResponse:
        stored = self.files.get(str(args.get("file_id") or ""))
        if stored is None:
            return bad_request("invalid file_id")
        if stored.size > 20 * 1024 * 1024:
            return bad_request("file is too big")
        return ok(stored.to_json())
