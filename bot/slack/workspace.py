"""SlackWorkspace: every Slack Web API call the bot makes goes through here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from yarl import URL

from bot import loggers
from bot.config import SLACK_FILE_HOSTS
from bot.errors import DeliveryError, PermanentError, RetryableError
from bot.models import Attachment, OutboundFile
from bot.slack.blocks import Block
from bot.slack.errors import calling_slack
from bot.slack.file_hosts import FileHosts

MAX_FILE_BYTES = 1024 * 1024 * 1024


class SlackWorkspace:
    """Every call names its Slack channel; the channel picks the client (the bot token of
    the workspace the channel is in)."""

    def __init__(self, client: AsyncWebClient, *, http: aiohttp.ClientSession,
                 file_hosts: FileHosts | None = None,
                 clients: Mapping[str, AsyncWebClient] | None = None) -> None:
        """:param client: the app's own workspace (``SLACK_BOT_TOKEN``)
        :param http: the session shared with the clients, used for file downloads
        :param file_hosts: where downloads may carry the bot token (default: Slack's file
            hosts and the client's API origin)
        :param clients: by Slack channel, the client of a channel in another workspace"""
        self.client = client
        self.clients = dict(clients or {})
        self._names: dict[tuple[str, str], dict[str, str]] = {}
        self._http = http
        self.file_hosts = file_hosts or FileHosts.of(api_base=client.base_url,
                                                     hosts=SLACK_FILE_HOSTS)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        await self._http.close()

    def client_for(self, channel: str) -> AsyncWebClient:
        return self.clients.get(channel, self.client)

    async def post(self, channel: str, *, text: str, blocks: Sequence[Block] | None = None,
                   thread_ts: str = "", broadcast: bool = False, job_id: int = 0) -> str:
        """Post in ``channel`` (in a thread when ``thread_ts`` is given).

        ``link_names`` stays off and ``parse`` unset: customer text must not ping anyone.
        The job id rides in the message metadata so a recovered job can find its post.
        """
        kwargs: dict[str, Any] = {"channel": channel, "text": text,
                                  "unfurl_links": False, "unfurl_media": False}
        if blocks is not None:
            kwargs["blocks"] = list(blocks)
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
            kwargs["reply_broadcast"] = broadcast
        if job_id:
            kwargs["metadata"] = {"event_type": "bot_relay", "event_payload": {"job": job_id}}
        client = self.client_for(channel)
        response = await calling_slack(client.chat_postMessage(**kwargs))
        return str(response["ts"])

    async def find_post(self, channel: str, job_id: int, thread_ts: str = "") -> str:
        """The ts of a post tagged with ``job_id`` (a reply in ``thread_ts``, else a recent
        root message), or "" when there is none."""
        client = self.client_for(channel)
        if thread_ts:
            call = client.conversations_replies(
                channel=channel, ts=thread_ts, include_all_metadata=True, limit=200)
        else:
            call = client.conversations_history(
                channel=channel, include_all_metadata=True, limit=100)
        response = await calling_slack(call)
        messages: list[dict[str, Any]] = response.get("messages", [])
        for message in messages:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("job") == job_id and message.get("ts") != thread_ts:
                return str(message["ts"])
        return ""

    async def update(self, channel: str, ts: str, *, text: str,
                     blocks: Sequence[Block] | None = None) -> None:
        kwargs: dict[str, Any] = {"channel": channel, "ts": ts, "text": text}
        if blocks is not None:
            kwargs["blocks"] = list(blocks)
        client = self.client_for(channel)
        await calling_slack(client.chat_update(**kwargs))

    async def upload(self, channel: str, thread_ts: str, files: Sequence[OutboundFile],
                     comment: str) -> None:
        uploads = [{"content": f.data, "filename": f.name, "title": f.name} for f in files]
        client = self.client_for(channel)
        await calling_slack(client.files_upload_v2(
            file_uploads=uploads, channel=channel, thread_ts=thread_ts,
            initial_comment=comment or None))

    async def react(self, channel: str, ts: str, name: str) -> None:
        client = self.client_for(channel)
        try:
            await calling_slack(client.reactions_add(
                channel=channel, timestamp=ts, name=name))
        except PermanentError as exc:
            if exc.code != "already_reacted":
                raise

    async def whisper(self, channel: str, user: str, text: str, thread_ts: str = "") -> None:
        """An ephemeral message only ``user`` sees, in ``channel``."""
        kwargs: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        client = self.client_for(channel)
        await calling_slack(client.chat_postEphemeral(**kwargs))

    async def open_modal(self, trigger_id: str, view: dict[str, Any], *,
                         channel: str = "") -> None:
        """Open ``view`` for the user who clicked in ``channel`` (its workspace's client).
        Called at once, not through the outbox: a trigger_id expires after 3 s, so a
        failure is logged, never retried."""
        client = self.client_for(channel) if channel else self.client
        try:
            await calling_slack(client.views_open(trigger_id=trigger_id, view=view))
        except DeliveryError as exc:
            loggers.slack.warning("Could not open modal %s: %s (%s)", view.get("callback_id"),
                                  exc.reason, exc.code)

    async def update_modal(self, view_id: str, view: dict[str, Any], *, hash: str = "",
                           channel: str = "") -> None:
        """Replace an open modal (a tab of the Customer modal). ``hash`` makes Slack refuse
        an update over a newer one; a failure is logged, never retried (the user clicks
        again)."""
        client = self.client_for(channel) if channel else self.client
        kwargs: dict[str, Any] = {"view_id": view_id, "view": view}
        if hash:
            kwargs["hash"] = hash
        try:
            await calling_slack(client.views_update(**kwargs))
        except DeliveryError as exc:
            loggers.slack.warning("Could not update modal %s: %s (%s)",
                                  view.get("callback_id"), exc.reason, exc.code)

    async def profile(self, channel: str, user: str) -> dict[str, str]:
        """First and display name of a Slack user of ``channel``'s workspace (cached;
        names rarely change)."""
        client = self.client_for(channel)
        cached = (str(client.token), user)
        if cached not in self._names:
            response = await calling_slack(client.users_info(user=user))
            info = response["user"]
            prof = info.get("profile", {})
            display = prof.get("display_name") or prof.get("real_name") or info.get("name", "")
            first = prof.get("first_name") or (prof.get("real_name") or display).split(" ")[0]
            self._names[cached] = {"first": first, "display": display}
        return self._names[cached]

    async def display_names(self, channel: str, users: Iterable[str]) -> dict[str, str]:
        return {user: (await self.profile(channel, user))["display"] for user in users}

    async def fetch_file(self, channel: str, file: Attachment) -> OutboundFile:
        """A file an operator shared, ready to send; :class:`PermanentError` when Slack will
        not give it (deleted, hidden, not hosted by Slack…)."""
        if file.ref:
            return OutboundFile(file.name, file.mime,
                                await self.download(channel, file.ref, file.size))
        info = await self._file_info(channel, file)
        url = str(info.get("url_private_download") or info.get("url_private") or "")
        if not url:
            raise PermanentError(_no_link_reason(info), code="no_file_url")
        data = await self.download(channel, url, int(info.get("size") or 0))
        return OutboundFile(str(info.get("name") or info.get("title") or file.name or "file"),
                            str(info.get("mimetype") or file.mime), data)

    async def _file_info(self, channel: str, file: Attachment) -> Mapping[str, Any]:
        """Slack Connect files arrive without a URL (``file_access: check_file_info``):
        ``files.info`` has it. Files that are only listed have none to be had."""
        if file.details.get("file_access") != "check_file_info" or not file.details.get("id"):
            raise PermanentError(_no_link_reason(file.details), code="no_file_url")
        client = self.client_for(channel)
        response = await calling_slack(client.files_info(file=str(file.details["id"])))
        info = response.get("file")
        return info if isinstance(info, Mapping) else {}

    async def download(self, channel: str, url: str, size: int = 0) -> bytes:
        """Fetch a file shared in ``channel``; it needs the bot token of the channel's
        workspace, else Slack sends a login page.

        The token goes only to ``file_hosts``; aiohttp drops it on a redirect elsewhere."""
        if size > MAX_FILE_BYTES:
            raise PermanentError("the file is too large to forward", code="too_big")
        target = _parsed(url)
        if target is None or not self.file_hosts.allows(target):
            raise PermanentError("the file is not hosted by Slack, so the bot did not fetch it",
                                 code="foreign_host")
        headers = {"Authorization": f"Bearer {self.client_for(channel).token}"}
        try:
            async with self._http.get(target, headers=headers) as response:
                if response.status == 429 or response.status >= 500:
                    raise RetryableError(f"Slack file download failed (HTTP {response.status})",
                                         code=f"http_{response.status}")
                if response.status != 200 or response.content_type == "text/html":
                    raise PermanentError("Slack would not give the bot the file (files:read "
                                         "scope?)", code="file_access")
                return await response.read()
        except aiohttp.ClientError as exc:
            raise RetryableError("could not reach Slack to fetch a file", code="network") from exc


def _parsed(url: str) -> URL | None:
    try:
        return URL(url)
    except ValueError:
        return None


def _no_link_reason(file: Mapping[str, Any]) -> str:
    if file.get("mode") == "tombstone":
        return "the file was deleted in Slack"
    if file.get("mode") == "hidden_by_limit":
        return "the file is hidden by the Slack plan's history limit"
    if file.get("file_access") == "access_denied":
        return "Slack denied the bot access to the file"
    return "Slack gave no link to download the file"


async def bot_identity(client: AsyncWebClient) -> dict[str, Any]:
    """Which workspace and bot user ``client``'s token is (``auth.test``). Errors are left
    to the caller: bolt refuses an event it cannot authorize."""
    response = await client.auth_test()
    return {key: response.get(key) for key in ("team_id", "enterprise_id", "user_id", "bot_id")}
