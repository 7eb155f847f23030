"""Slack files for :class:`FakeSlackAPI`: the upload v2 flow and private downloads.

slack_sdk's ``files_upload_v2`` makes three requests: ``files.getUploadURLExternal``
(arguments in the query string), a bare POST of the raw bytes to the returned
``upload_url`` (no Authorization header, no Content-Type from slack_sdk, so aiohttp sends
``application/octet-stream``), then ``files.completeUploadExternal`` whose ``files`` argument
is a JSON string in the query string. ``files.info`` answers ``{"ok", "file", "comments",
"response_metadata"}`` or the ``file_not_found`` error.
"""

from __future__ import annotations

import mimetypes
import time
from typing import TYPE_CHECKING
from urllib.parse import quote

from aiohttp import web

from tests.fakes.base import Args, failed
from tests.fakes.slack_wire import BOT_USER, TEAM_ID, Handler, bearer, error, ok

if TYPE_CHECKING:
    from tests.fakes.slack_api import FakeSlackAPI

UPLOAD = "upload"
DOWNLOAD = "files-pri"
LOGIN_PAGE = ("<!DOCTYPE html><html><head><title>Slack</title></head>"
              "<body><h1>Sign in to your workspace</h1></body></html>")


def filetype(name: str) -> str:
    _, dot, ext = name.rpartition(".")
    return ext.lower() if dot and ext else "binary"


class SlackFiles:
    """File store of one fake workspace."""

    def __init__(self, api: FakeSlackAPI) -> None:
        self.api = api
        self.files: dict[str, Args] = {}
        self.content: dict[str, bytes] = {}
        self.pending: dict[str, Args] = {}
        self.uploads: list[Args] = []
        self._counter = 0

    def methods(self) -> dict[str, Handler]:
        return {"files.getUploadURLExternal": self._get_upload_url,
                "files.completeUploadExternal": self._complete_upload,
                "files.info": self._info}

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/upload/{file_id}", self._upload)
        router.add_get("/files-pri/{key}/{tail:.*}", self._download)

    def register(self, file_id: str, content: bytes, *, name: str, mimetype: str,
                 title: str | None = None) -> Args:
        base = f"{self.api.url}files-pri/{TEAM_ID}-{file_id}"
        now = int(time.time())
        self.content[file_id] = content
        self.files[file_id] = {
            "id": file_id, "created": now, "timestamp": now, "name": name,
            "title": title or name, "mimetype": mimetype, "filetype": filetype(name),
            "pretty_type": filetype(name).upper(), "user": BOT_USER, "user_team": TEAM_ID,
            "mode": "hosted", "editable": False, "is_external": False, "external_type": "",
            "is_public": False, "size": len(content),
            "url_private": f"{base}/{quote(name)}",
            "url_private_download": f"{base}/download/{quote(name)}",
            "permalink": f"https://x.slack.com/files/{BOT_USER}/{file_id}/{quote(name)}",
        }
        return dict(self.files[file_id])

    # -- upload v2 -------------------------------------------------------------------------

    async def _get_upload_url(self, args: Args) -> web.StreamResponse:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return error("invalid_arguments")
        self._counter += 1
        file_id = f"F{self._counter:08d}"
        self.pending[file_id] = {"filename": args["filename"], "length": int(args["length"]),
                                 "alt_txt": args.get("alt_txt"), "content": None}
        return ok(upload_url=f"{self.api.url}upload/{file_id}", file_id=file_id)

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        file_id = request.match_info["file_id"]
        args: Args = {"file_id": file_id, "size": len(body),
                      "content_type": request.content_type,
                      "authorization": request.headers.get("Authorization")}

        async def handler(call: Args) -> web.StreamResponse:
            if file_id not in self.pending:
                return failed(web.Response(status=404, text="Not Found"), "error:unknown_upload")
            self.pending[file_id]["content"] = body
            return web.Response(text=f"OK - {len(body)}", content_type="text/plain")

        return await self.api.run(request, UPLOAD, args, handler)

    async def _complete_upload(self, args: Args) -> web.StreamResponse:
        entries = args.get("files")
        if not isinstance(entries, list) or not entries:
            return error("invalid_arguments")
        if any(self.pending.get(str(e.get("id")), {}).get("content") is None for e in entries):
            return error("file_not_found")
        channels = self._channels(args)
        if any(self.api.channel_problem({"channel": c}) for c in channels):
            return error("channel_not_found")
        shared = [self._finish(entry, channels) for entry in entries]
        args["uploaded"] = [{"id": f["id"], "title": f["title"], "filename": f["name"],
                             "size": f["size"]} for f in shared]
        for channel in channels:
            self.api.store_message(channel, text=args.get("initial_comment", ""),
                                   thread_ts=args.get("thread_ts"), files=shared, upload=True)
        self.uploads.extend({**u, "channels": channels, "thread_ts": args.get("thread_ts"),
                             "initial_comment": args.get("initial_comment"),
                             "content": self.content[u["id"]]} for u in args["uploaded"])
        return ok(files=shared)

    def _channels(self, args: Args) -> list[str]:
        if args.get("channel_id"):
            return [str(args["channel_id"])]
        return [c for c in str(args.get("channels", "")).split(",") if c]

    def _finish(self, entry: Args, channels: list[str]) -> Args:
        file_id = str(entry["id"])
        pending = self.pending.pop(file_id)
        name = str(pending["filename"])
        mimetype = _guess_mimetype(name)
        shared = self.register(file_id, pending["content"], name=name, mimetype=mimetype,
                               title=entry.get("title") or name)
        shared["channels"] = channels
        return shared

    def connect_stub(self, file_id: str) -> Args:
        """How a file shared from a Slack Connect organization appears in a message event:
        no name, no URL, only ``file_access: check_file_info`` (the bot must ask
        ``files.info``). The file need not be registered: ``files.info`` then answers
        ``file_not_found``."""
        return {"id": file_id, "mode": "file_access", "file_access": "check_file_info",
                "created": 0, "timestamp": 0, "user": "", "editable": False, "size": 0,
                "filetype": "", "is_external": False}

    async def _info(self, args: Args) -> web.StreamResponse:
        found = self.files.get(str(args.get("file", "")))
        if found is None:
            return error("file_not_found")
        return ok(file=found, comments=[], response_metadata={"next_cursor": ""})

    # -- private downloads -----------------------------------------------------------------

    async def _download(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["key"].rpartition("-")[2]
        token = bearer(request)
        args: Args = {"file_id": file_id, "path": request.path, "token": token}

        async def handler(call: Args) -> web.StreamResponse:
            if not (self.api.token_valid(token) and str(token).startswith("xoxb-")):
                # Real Slack answers an unauthenticated download with its sign-in page.
                page = web.Response(text=LOGIN_PAGE, content_type="text/html")
                return failed(page, "login_page")
            if file_id not in self.content:
                return failed(web.Response(status=404, text="Not Found"), "error:file_not_found")
            mimetype = str(self.files[file_id]["mimetype"])
            return web.Response(body=self.content[file_id], content_type=mimetype)

        return await self.api.run(request, DOWNLOAD, args, handler)



def _guess_mimetype(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
