"""FakeSlackAPI: a local Slack Web API + Socket Mode endpoint for slack_sdk / slack-bolt.

Point the real client at it: ``AsyncWebClient(token="xoxb-test", base_url=fake.url)``.
Arguments are merged from the query string, a form body and a JSON body, as slack_sdk uses
all three (platform-facts 1.5). ``messages`` holds what an operator would see per channel.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections import defaultdict
from typing import Any

from aiohttp import web

from tests.fakes.base import Args, Fault, FakeServer, failed
from tests.fakes.slack_files import SlackFiles
from tests.fakes.slack_socket import SocketModeHub
from tests.fakes.slack_wire import (
    APP_ID,
    BOT_ID,
    BOT_USER,
    TEAM_ID,
    Handler,
    bearer,
    error,
    ok,
    public,
    read_args,
)

class FakeSlackAPI(FakeServer):
    """Slack Web API fake. See the module docstring and ``tests/fakes/base.py``."""

    mutating = frozenset({
        "chat.postMessage", "chat.update", "chat.delete", "chat.postEphemeral",
        "reactions.add", "reactions.remove", "views.open", "views.update", "views.publish",
        "files.getUploadURLExternal", "upload", "files.completeUploadExternal",
    })

    def __init__(self, *, scopes: str = "chat:write,reactions:write,users:read,"
                 "files:read,files:write,channels:history,groups:history,im:history") -> None:
        super().__init__()
        self.scopes = scopes
        #: ``None`` accepts any ``xoxb-``/``xapp-`` token.
        self.valid_tokens: set[str] | None = None
        #: ``None`` accepts any channel id; a set makes others ``channel_not_found``.
        self.known_channels: set[str] | None = None
        self.messages: defaultdict[str, list[Args]] = defaultdict(list)
        self.ephemerals: list[Args] = []
        self.users: dict[str, Args] = {}
        self.views: dict[str, Args] = {}
        self.rate_limited = 0
        #: other workspaces the app is installed in: bot token → (team id, bot user, bot id)
        self.workspaces: dict[str, tuple[str, str, str]] = {}
        #: (method, channel, bot token) of every call that named a channel
        self.channel_tokens: list[tuple[str, str, str]] = []
        self.socket = SocketModeHub(app_id=APP_ID)
        self.files = SlackFiles(self)
        self._ts_counter = 0
        self._view_counter = 0
        self._post_limit: tuple[float, float] | None = None
        self._buckets: dict[str, tuple[float, float]] = {}
        self._methods: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._connections_open,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.delete": self._delete,
            "chat.postEphemeral": self._post_ephemeral,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "users.info": self._users_info,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "conversations.replies": self._replies,
            "conversations.history": self._history,
            **self.files.methods(),
        }
        #: what was POSTed to a ``response_url`` pointed at ``{url}response/<hook>``
        self.responses: list[Args] = []
        self.app.router.add_post("/response/{hook}", self._response_url)
        self.app.router.add_get("/socket", self.socket.handle)
        self.files.add_routes(self.app.router)
        self.app.router.add_route("*", "/{method}", self._api)

    async def before_stop(self) -> None:
        await self.socket.close_all()

    # -- test helpers ----------------------------------------------------------------------

    def add_user(self, user_id: str, *, real_name: str = "", display_name: str = "",
                 first_name: str = "", last_name: str = "", is_bot: bool = False) -> Args:
        profile = {"real_name": real_name, "display_name": display_name,
                   "first_name": first_name, "last_name": last_name,
                   "real_name_normalized": real_name,
                   "display_name_normalized": display_name,
                   "image_72": f"https://avatars.example/{user_id}.png"}
        user = {"id": user_id, "team_id": TEAM_ID, "name": display_name or user_id.lower(),
                "deleted": False, "real_name": real_name, "tz": "Europe/Paris",
                "is_bot": is_bot, "profile": profile}
        self.users[user_id] = user
        return user

    def add_file(self, file_id: str, content: bytes, name: str = "file.bin",
                 mimetype: str = "application/octet-stream") -> Args:
        """Register a file an event can point at; its ``url_private*`` serve ``content``."""
        return self.files.register(file_id, content, name=name, mimetype=mimetype)

    def add_connect_file(self, file_id: str) -> Args:
        """A Slack Connect file as an event shows it (``check_file_info``, no URL)."""
        return self.files.connect_stub(file_id)

    @property
    def uploads(self) -> list[Args]:
        return self.files.uploads

    def limit_post_rate(self, per_second: float = 1.0, burst: int = 1) -> None:
        """Answer ``chat.postMessage`` beyond ``per_second`` per channel with 429."""
        self._post_limit = (per_second, float(burst))
        self._buckets.clear()

    def thread(self, channel: str, thread_ts: str, *,
               include_deleted: bool = False) -> list[Args]:
        """The root message and its replies, oldest first."""
        return [m for m in self.messages[channel]
                if (m["ts"] == thread_ts or m.get("thread_ts") == thread_ts)
                and (include_deleted or not m["deleted"])]

    def roots(self, channel: str, *, include_deleted: bool = False) -> list[Args]:
        """Top-level messages (thread parents and broadcasts), oldest first."""
        def top_level(m: Args) -> bool:
            return m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"

        return [m for m in self.messages[channel]
                if top_level(m) and (include_deleted or not m["deleted"])]

    def find(self, channel: str, ts: str) -> Args | None:
        return next((m for m in self.messages[channel] if m["ts"] == ts), None)

    async def socket_send(self, envelope_type: str, payload: Args, *, retry_attempt: int = 0,
                          retry_reason: str | None = None,
                          accepts_response_payload: bool | None = None) -> str:
        return await self.socket.send(envelope_type, payload, retry_attempt=retry_attempt,
                                      retry_reason=retry_reason,
                                      accepts_response_payload=accepts_response_payload)

    async def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Args:
        return await self.socket.wait_for_ack(envelope_id, timeout)

    def next_ts(self) -> str:
        self._ts_counter += 1
        seconds, fraction = divmod(self._ts_counter, 10_000)
        return f"{1_700_000_000 + seconds}.{fraction * 100:06d}"

    def response_url(self, hook: str) -> str:
        """A ``response_url`` for a slash command or action payload, served by this fake."""
        return f"{self.url}response/{hook}"

    async def wait_for_responses(self, hook: str, count: int = 1,
                                 timeout: float = 5.0) -> list[Args]:
        """Wait until ``count`` posts reached ``response_url(hook)`` and return them."""
        deadline = time.monotonic() + timeout
        while len(got := [r for r in self.responses if r["hook"] == hook]) < count:
            if time.monotonic() >= deadline:
                raise AssertionError(f"expected {count} post(s) to response_url {hook!r} "
                                     f"within {timeout}s, got {len(got)}")
            await asyncio.sleep(0.01)
        return got

    async def _response_url(self, request: web.Request) -> web.StreamResponse:
        # Slack answers a response_url post with a plain "ok" (no Web API envelope).
        body = await request.json()
        self.responses.append({"hook": request.match_info["hook"], **body})
        return web.Response(text="ok")

    # -- pipeline --------------------------------------------------------------------------

    def default_status(self, error: str | None) -> int:
        if error == "ratelimited":
            return 429
        return 200 if error else 500

    def fault_response(self, fault: Fault) -> web.StreamResponse:
        headers: dict[str, str] = {}
        if fault.status == 429:
            headers["Retry-After"] = str(fault.retry_after if fault.retry_after is not None else 1)
        default = ("ratelimited" if fault.status == 429
                   else "internal_error" if fault.status >= 500 else "unknown_error")
        body = {"ok": False, "error": fault.error or default}
        return web.json_response(body, status=fault.status, headers=headers)

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args = await read_args(request)
        token = bearer(request) or args.pop("token", None)
        handler = self._methods.get(method)
        if handler is None:
            self.attempts[method] += 1
            self.faults.append((method, "error:unknown_method"))
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)

        async def guarded(call: Args) -> web.StreamResponse:
            problem = self._auth_problem(method, token)
            if problem is not None:
                return error(problem)
            if "channel" in call:
                self.channel_tokens.append((method, str(call["channel"]), str(token)))
            if method == "auth.test":
                return await self._auth_test(call, str(token))
            if method == "chat.postMessage" and (limited := self._throttle(call)) is not None:
                return limited
            return await handler(call)

        return await self.run(request, method, args, guarded)

    def token_valid(self, token: str | None) -> bool:
        if not token:
            return False
        if self.valid_tokens is not None:
            return token in self.valid_tokens
        return token.startswith(("xoxb-", "xapp-"))

    def _auth_problem(self, method: str, token: str | None) -> str | None:
        if not token:
            return "not_authed"
        if not self.token_valid(token):
            return "invalid_auth"
        if token.startswith("xapp-") != (method == "apps.connections.open"):
            return "not_allowed_token_type"
        return None

    def _throttle(self, args: Args) -> web.StreamResponse | None:
        if self._post_limit is None:
            return None
        rate, burst = self._post_limit
        channel = str(args.get("channel", ""))
        now = time.monotonic()
        tokens, last = self._buckets.get(channel, (burst, now))
        tokens = min(burst, tokens + (now - last) * rate)
        if tokens >= 1:
            self._buckets[channel] = (tokens - 1, now)
            return None
        self._buckets[channel] = (tokens, now)
        self.rate_limited += 1
        wait = max(1, math.ceil((1 - tokens) / rate))
        return failed(web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                        headers={"Retry-After": str(wait)}), "429")

    def channel_problem(self, args: Args) -> str | None:
        channel = args.get("channel")
        if not channel or (self.known_channels is not None and channel not in self.known_channels):
            return "channel_not_found"
        return None

    # -- auth and socket mode --------------------------------------------------------------

    def tokens_used_in(self, channel: str) -> set[str]:
        """The bot tokens of the calls that named ``channel``."""
        return {token for _, used_in, token in self.channel_tokens if used_in == channel}

    async def _auth_test(self, args: Args, token: str = "") -> web.StreamResponse:
        team_id, bot_user, bot_id = self.workspaces.get(token, (TEAM_ID, BOT_USER, BOT_ID))
        response = ok(url="https://x.slack.com/", team="T", user="bot", team_id=team_id,
                      user_id=bot_user, bot_id=bot_id, is_enterprise_install=False)
        response.headers["x-oauth-scopes"] = self.scopes
        return response

    async def _connections_open(self, args: Args) -> web.StreamResponse:
        return ok(url=f"ws://127.0.0.1:{self.port}/socket?ticket={uuid.uuid4().hex}")

    # -- chat ------------------------------------------------------------------------------

    async def _post_message(self, args: Args) -> web.StreamResponse:
        if problem := self.channel_problem(args):
            return error(problem)
        if not any(args.get(k) for k in ("text", "blocks", "attachments", "markdown_text")):
            return error("no_text")
        message = self.store_message(
            args["channel"], text=args.get("text", args.get("markdown_text", "")),
            blocks=args.get("blocks"), attachments=args.get("attachments"),
            thread_ts=args.get("thread_ts"), metadata=args.get("metadata"),
            broadcast=args.get("reply_broadcast") in (True, "1", "true"),
            username=args.get("username"), icon_emoji=args.get("icon_emoji"))
        return ok(channel=args["channel"], ts=message["ts"], message=public(message))

    def store_message(self, channel: str, *, text: str, thread_ts: str | None = None,
                      broadcast: bool = False, **fields: Any) -> Args:
        """Append a bot message to ``channel`` (and bump its thread root if it is a reply)."""
        ts = self.next_ts()
        message: Args = {"type": "message", "ts": ts, "text": text, "user": BOT_USER,
                         "bot_id": BOT_ID, "app_id": APP_ID, "team": TEAM_ID,
                         "thread_ts": thread_ts, "reactions": [], "edited": None,
                         "deleted": False, **fields}
        if broadcast and thread_ts:
            message["subtype"] = "thread_broadcast"
        root = self.find(channel, thread_ts) if thread_ts else None
        if root is not None and root is not message:
            root["thread_ts"] = root["ts"]
            root["reply_count"] = root.get("reply_count", 0) + 1
            root["latest_reply"] = ts
            message["parent_user_id"] = root["user"]
        self.messages[channel].append(message)
        return message

    def _existing(self, args: Args, ts_key: str = "ts") -> Args | str:
        """The live message ``args`` points at, or the Slack error code."""
        if problem := self.channel_problem(args):
            return problem
        message = self.find(args["channel"], str(args.get(ts_key, "")))
        if message is None or message["deleted"]:
            return "message_not_found"
        return message

    async def _update(self, args: Args) -> web.StreamResponse:
        message = self._existing(args)
        if isinstance(message, str):
            return error(message)
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in args:
                message[key] = args[key]
        message["edited"] = {"user": BOT_USER, "ts": self.next_ts()}
        return ok(channel=args["channel"], ts=message["ts"], text=message["text"],
                  message=public(message))

    async def _delete(self, args: Args) -> web.StreamResponse:
        message = self._existing(args)
        if isinstance(message, str):
            return error(message)
        message["deleted"] = True
        return ok(channel=args["channel"], ts=message["ts"])

    async def _post_ephemeral(self, args: Args) -> web.StreamResponse:
        if problem := self.channel_problem(args):
            return error(problem)
        if not args.get("user"):
            return error("user_not_found")
        ts = self.next_ts()
        self.ephemerals.append({**args, "ts": ts})
        return ok(message_ts=ts)

    # -- reactions -------------------------------------------------------------------------

    async def _reactions_add(self, args: Args) -> web.StreamResponse:
        if not args.get("name"):
            return error("invalid_name")
        message = self._existing(args, "timestamp")
        if isinstance(message, str):
            return error(message)
        reactions: list[Args] = message["reactions"]
        current = next((r for r in reactions if r["name"] == args["name"]), None)
        if current is not None and BOT_USER in current["users"]:
            return error("already_reacted")
        if current is None:
            current = {"name": args["name"], "users": [], "count": 0}
            reactions.append(current)
        current["users"].append(BOT_USER)
        current["count"] += 1
        return ok()

    async def _reactions_remove(self, args: Args) -> web.StreamResponse:
        message = self._existing(args, "timestamp")
        if isinstance(message, str):
            return error(message)
        reactions: list[Args] = message["reactions"]
        current = next((r for r in reactions if r["name"] == args.get("name")), None)
        if current is None or BOT_USER not in current["users"]:
            return error("no_reaction")
        current["users"].remove(BOT_USER)
        current["count"] -= 1
        if not current["users"]:
            reactions.remove(current)
        return ok()

    # -- users, views, conversations -------------------------------------------------------

    async def _users_info(self, args: Args) -> web.StreamResponse:
        user = self.users.get(str(args.get("user", "")))
        return ok(user=user) if user is not None else error("user_not_found")

    def _new_view(self, view: Args, *, view_id: str | None = None) -> Args:
        if view_id is None:
            self._view_counter += 1
            view_id = f"V{self._view_counter:08d}"
        stored = {"id": view_id, "team_id": TEAM_ID, "state": {"values": {}},
                  "hash": f"1700000000.{self._view_counter:08x}", "root_view_id": view_id,
                  "previous_view_id": None, "app_id": APP_ID, "bot_id": BOT_ID,
                  "private_metadata": "", "callback_id": "", "external_id": "", **view}
        self.views[view_id] = stored
        return stored

    async def _views_open(self, args: Args) -> web.StreamResponse:
        if not args.get("trigger_id"):
            return error("invalid_trigger_id")
        if not isinstance(args.get("view"), dict):
            return error("invalid_arguments")
        return ok(view=self._new_view(args["view"]))

    async def _views_update(self, args: Args) -> web.StreamResponse:
        view_id = args.get("view_id") or next(
            (v["id"] for v in self.views.values()
             if args.get("external_id") and v["external_id"] == args["external_id"]), None)
        if view_id not in self.views or not isinstance(args.get("view"), dict):
            return error("not_found")
        return ok(view=self._new_view(args["view"], view_id=view_id))

    async def _views_publish(self, args: Args) -> web.StreamResponse:
        if not args.get("user_id") or not isinstance(args.get("view"), dict):
            return error("invalid_arguments")
        home = next((v["id"] for v in self.views.values()
                     if v.get("type") == "home" and v.get("user_id") == args["user_id"]), None)
        view = {**args["view"], "user_id": args["user_id"]}
        return ok(view=self._new_view(view, view_id=home))

    async def _replies(self, args: Args) -> web.StreamResponse:
        if problem := self.channel_problem(args):
            return error(problem)
        thread = self.thread(args["channel"], str(args.get("ts", "")))
        if not thread:
            return error("thread_not_found")
        return ok(messages=[public(m) for m in thread], has_more=False,
                  response_metadata={"next_cursor": ""})

    async def _history(self, args: Args) -> web.StreamResponse:
        if problem := self.channel_problem(args):
            return error(problem)
        limit = int(args.get("limit", 100))
        newest_first = list(reversed(self.roots(args["channel"])))
        return ok(messages=[public(m) for m in newest_first[:limit]],
                  has_more=len(newest_first) > limit, response_metadata={"next_cursor": ""})
