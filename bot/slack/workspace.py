"""SlackWorkspace: every Slack Web API call the bot makes goes through here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.base import OutboundFile
from bot.errors import PermanentError, RetryableError
from bot.slack.blocks import Block
from bot.slack.errors import calling_slack

MAX_FILE_BYTES = 1024 * 1024 * 1024


class SlackWorkspace:
    def __init__(self, client: AsyncWebClient, *, channel: str,
                 http: aiohttp.ClientSession) -> None:
        """:param http: the session shared with ``client``, used for file downloads"""
        self.client = client
        self.channel = channel
        self._names: dict[str, dict[str, str]] = {}
        self._http = http

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        await self._http.close()

    async def post(self, *, text: str, blocks: Sequence[Block] | None = None,
                   thread_ts: str = "", broadcast: bool = False, job_id: int = 0) -> str:
        """Post in the operators' channel (in a thread when ``thread_ts`` is given).

        ``link_names`` stays off and ``parse`` unset: customer text must not ping anyone.
        The job id rides in the message metadata so a recovered job can find its post.
        """
        kwargs: dict[str, Any] = {"channel": self.channel, "text": text,
                                  "unfurl_links": False, "unfurl_media": False}
        if blocks is not None:
            kwargs["blocks"] = list(blocks)
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
            kwargs["reply_broadcast"] = broadcast
        if job_id:
            kwargs["metadata"] = {"event_type": "bot_relay", "event_payload": {"job": job_id}}
        response = await calling_slack(self.client.chat_postMessage(**kwargs))
        return str(response["ts"])

    async def find_post(self, job_id: int, thread_ts: str = "") -> str:
        """The ts of a post tagged with ``job_id`` (a reply in ``thread_ts``, else a recent
        root message), or "" when there is none."""
        if thread_ts:
            call = self.client.conversations_replies(
                channel=self.channel, ts=thread_ts, include_all_metadata=True, limit=200)
        else:
            call = self.client.conversations_history(
                channel=self.channel, include_all_metadata=True, limit=100)
        response = await calling_slack(call)
        messages: list[dict[str, Any]] = response.get("messages", [])
        for message in messages:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("job") == job_id and message.get("ts") != thread_ts:
                return str(message["ts"])
        return ""

    async def update(self, ts: str, *, text: str, blocks: Sequence[Block] | None = None) -> None:
        kwargs: dict[str, Any] = {"channel": self.channel, "ts": ts, "text": text}
        if blocks is not None:
            kwargs["blocks"] = list(blocks)
        await calling_slack(self.client.chat_update(**kwargs))

    async def upload(self, thread_ts: str, files: Sequence[OutboundFile], comment: str) -> None:
        uploads = [{"content": f.data, "filename": f.name, "title": f.name} for f in files]
        await calling_slack(self.client.files_upload_v2(
            file_uploads=uploads, channel=self.channel, thread_ts=thread_ts,
            initial_comment=comment or None))

    async def react(self, ts: str, name: str) -> None:
        try:
            await calling_slack(self.client.reactions_add(
                channel=self.channel, timestamp=ts, name=name))
        except PermanentError as exc:
            if exc.code != "already_reacted":
                raise

    async def whisper(self, user: str, text: str, thread_ts: str = "") -> None:
        """An ephemeral message only ``user`` sees."""
        kwargs: dict[str, Any] = {"channel": self.channel, "user": user, "text": text}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        await calling_slack(self.client.chat_postEphemeral(**kwargs))

    async def profile(self, user: str) -> dict[str, str]:
        """First and display name of a Slack user (cached; names rarely change)."""
        if user not in self._names:
            response = await calling_slack(self.client.users_info(user=user))
            info = response["user"]
            prof = info.get("profile", {})
            display = prof.get("display_name") or prof.get("real_name") or info.get("name", "")
            first = prof.get("first_name") or (prof.get("real_name") or display).split(" ")[0]
            self._names[user] = {"first": first, "display": display}
        return self._names[user]

    async def display_names(self, users: Iterable[str]) -> dict[str, str]:
        return {user: (await self.profile(user))["display"] for user in users}

    async def download(self, url: str, size: int = 0) -> bytes:
        """Fetch a file shared in Slack; it needs the bot token, else Slack sends a login page."""
        if size > MAX_FILE_BYTES:
            raise PermanentError("the file is too large to forward", code="too_big")
        headers = {"Authorization": f"Bearer {self.client.token}"}
        try:
            async with self._http.get(url, headers=headers) as response:
                if response.status == 429 or response.status >= 500:
                    raise RetryableError(f"Slack file download failed (HTTP {response.status})",
                                         code=f"http_{response.status}")
                if response.status != 200 or response.content_type == "text/html":
                    raise PermanentError("Slack would not give the bot the file (files:read "
                                         "scope?)", code="file_access")
                return await response.read()
        except aiohttp.ClientError as exc:
            raise RetryableError("could not reach Slack to fetch a file", code="network") from exc
