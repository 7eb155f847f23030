"""The bolt app, its Web API client, and the two ways events reach it: HTTP and Socket Mode."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request import payload_utils
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot import loggers
from bot.errors import BridgeError, ConfigError
from bot.slack import signature
from bot.slack.teams import Authorize
from bot.web import admission_of

# Keys one of which every request Slack sends carries: events and interactivity have
# ``type``, slash commands ``command``, certificate checks ``ssl_check``.
_SLACK_KEYS = frozenset({"type", "command", "ssl_check"})


def build_slack_client(
    token: str, api_base: str, *, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """The one Web API client. ``retry_handlers=[]``: the outbox retries, not the SDK.

    :param session: a shared session owned by the caller; without one slack_sdk opens a
        session per call
    """
    return AsyncWebClient(token=token, base_url=api_base, session=session, retry_handlers=[])


def build_slack_app(*, client: AsyncWebClient, signing_secret: str, socket_mode: bool,
                    authorize: Authorize | None = None) -> AsyncApp:
    """A bolt app with every setting passed in. bolt still looks at ``SLACK_BOT_TOKEN``
    (ignored: ``client`` wins, with a warning), ``SLACK_VERIFICATION_TOKEN`` (ssl_check
    only) and ``SLACK_CLIENT_ID``/``SLACK_CLIENT_SECRET`` (both set would switch it to OAuth),
    which no argument can turn off; keep the last two unset.

    Listeners run before the response is sent (``process_before_response``), so Slack only
    gets its 2xx once an event is stored; a crash makes it redeliver instead of losing it.

    :param authorize: finds the installation (bot token, bot user) an event's workspace
        has, when the app serves more than its own workspace (see ``bot.slack.teams``);
        none: every event is taken as the own workspace's
    """
    if not socket_mode and not signing_secret:
        raise ConfigError(["SLACK_SIGNING_SECRET: required in HTTP mode"])
    app = AsyncApp(
        name="operator-bot",
        logger=loggers.slack,
        client=client,
        authorize=authorize,
        # A str, never None: None makes bolt read SLACK_SIGNING_SECRET from os.environ.
        signing_secret=signing_secret,
        process_before_response=True,
        raise_error_for_unhandled_request=False,
        # Socket Mode frames are not signed; bolt skips the check for them anyway.
        request_verification_enabled=not socket_mode,
        ignoring_self_events_enabled=True,
        ssl_check_enabled=True,
        url_verification_enabled=True,
    )
    # bolt logs the whole body of a badly signed request at INFO; with a wrong secret that
    # is every operator message. It resets this level when it builds the logger, so set it
    # after AsyncApp().
    logging.getLogger("slack_bolt.RequestVerification").setLevel(logging.WARNING)
    return app


def add_slack_route(web_app: web.Application, slack_app: AsyncApp, *, signing_secret: str,
                    path: str = "/slack/events") -> None:
    """Serve events, interactivity and slash commands on ``path`` (HTTP mode).

    In order: headers that cannot be Slack's → 401 before the body is read; the body within
    the admission's time (408 after); a body the signature does not match → 401; only then
    does the event take an admission slot and reach bolt.
    """
    admission = admission_of(web_app)

    async def slack_events(request: web.Request) -> web.StreamResponse:
        if not signature.plausible(request.headers, now=time.time()):
            return _invalid_request()
        body = await admission.read_body(request)
        if not signature.signed(request.headers, body, secret=signing_secret):
            return _invalid_request()
        bolt_request = await _bolt_request(request)
        if bolt_request is None:
            return web.json_response({"error": "malformed request"}, status=400)
        async with admission.slot():
            bolt_response = await slack_app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    web_app.router.add_post(path, slack_events)


def _invalid_request() -> web.Response:
    return web.json_response({"error": "invalid request"}, status=401)


async def _bolt_request(request: web.Request) -> AsyncBoltRequest | None:
    """The bolt request, or ``None`` when the body is not something Slack sends."""
    try:
        bolt_request = await to_bolt_request(request)
    except web.HTTPException:
        raise  # e.g. 413 for a body over client_max_size
    except Exception as exc:
        # AsyncBoltRequest parses the body and reads ids out of it in its constructor, so
        # bad UTF-8, bad JSON or a JSON array fail here with assorted exception types.
        loggers.slack.info("Rejected a malformed Slack request: %s", type(exc).__name__)
        return None
    body: Any = bolt_request.body
    if not isinstance(body, dict) or not _SLACK_KEYS & body.keys() or not _well_shaped(body):
        loggers.slack.info("Rejected a Slack request that is not shaped like Slack's")
        return None
    return bolt_request


_EXTRACTORS = (payload_utils.to_options, payload_utils.to_shortcut, payload_utils.to_action,
               payload_utils.to_view, payload_utils.to_command, payload_utils.to_event,
               payload_utils.to_message, payload_utils.to_step)


def _well_shaped(body: dict[str, Any]) -> bool:
    """bolt runs these extractors on every request before any listener, and one that
    raises (``"actions": []``, ``"event": null``, a view without a type) becomes a 500
    Slack would redeliver forever; such a body is not something Slack sends."""
    if "event" in body and not isinstance(body["event"], dict):
        return False  # bolt's ignore-self middleware reads body["event"].get(...)
    try:
        for extract in _EXTRACTORS:
            extract(body)
    except Exception:
        return False
    return True


class SocketModeRunner:
    """Receives events over a Socket Mode WebSocket instead of HTTP; a ``Component``.

    ``apps.connections.open`` goes through the app's own client, so it uses the same
    ``SLACK_API_BASE``; the app-level token replaces the bot token for that one call.
    """

    def __init__(
        self,
        app: AsyncApp,
        *,
        app_token: str,
        connect_timeout: float = 30.0,
        ping_interval: float = 10.0,
    ) -> None:
        self._app = app
        self._app_token = app_token
        self._connect_timeout = connect_timeout
        self._ping_interval = ping_interval
        self._handler: AsyncSocketModeHandler | None = None

    async def start(self) -> None:
        # The SDK client opens a ClientSession and starts a task in its constructor, so it
        # is built here, inside the running loop.
        self._handler = AsyncSocketModeHandler(
            self._app, self._app_token, logger=loggers.slack,
            web_client=self._app.client, ping_interval=self._ping_interval)
        try:
            # connect() retries forever on errors (a bad token too); bound the first wait.
            await asyncio.wait_for(
                self._handler.connect_async(),  # type: ignore[no-untyped-call]  # unannotated
                self._connect_timeout)
        except TimeoutError as exc:
            await self.stop()
            raise BridgeError(
                f"Slack Socket Mode did not connect within {self._connect_timeout:g}s "
                "(see the errors logged above)") from exc

    async def stop(self) -> None:
        handler, self._handler = self._handler, None
        if handler is None:
            return
        client = handler.client
        tasks = [t for t in (client.message_processor, client.current_session_monitor,
                             client.message_receiver) if t is not None]
        await handler.close_async()  # type: ignore[no-untyped-call]  # unannotated in bolt
        # close() cancels the SDK's tasks without awaiting them; none may outlive stop().
        await asyncio.gather(*tasks, return_exceptions=True)
