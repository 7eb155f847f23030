"""Signed requests through the real aiohttp route and bolt app, Web API on FakeSlackAPI."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import BridgeError, ConfigError
from bot.models import OperatorMessage
from bot.slack.app import SocketModeRunner, add_slack_route, build_slack_app, build_slack_client
from bot.slack.deliveries import SlackDeliveries
from bot.web import ADMISSION, Admission
from handlers.slack_events import register_fallbacks, register_slack_handlers
from storage.base import BaseStorage
from tests.fakes.slack_api import FakeSlackAPI
from tests.support.raw_http import RawRequest

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ROOT = "1700000000.000100"
REPLY = "1700000001.000200"
TEXT = "the customer's private words"

AiohttpClient = Callable[[web.Application], Awaitable[TestClient]]


class RecordingConversations:
    def __init__(self) -> None:
        self.messages: list[OperatorMessage] = []
        self.edits: list[tuple[str, str, str]] = []
        self.deletes: list[tuple[str, str]] = []
        self.attempts = 0
        self.fail_next = 0

    async def on_operator_message(self, message: OperatorMessage) -> bool:
        """Stores nothing: the handler records the delivery itself (``processed``)."""
        self.attempts += 1
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("store unavailable")
        self.messages.append(message)
        return False

    async def on_operator_edit(self, slack_channel: str, ts: str, text: str,
                               rich_text: Sequence[Mapping[str, Any]] = ()) -> None:
        self.edits.append((slack_channel, ts, text))

    async def on_operator_delete(self, slack_channel: str, ts: str) -> None:
        self.deletes.append((slack_channel, ts))

    @property
    def received(self) -> int:
        return len(self.messages) + len(self.edits) + len(self.deletes)


def thread_reply(**overrides: Any) -> dict[str, Any]:
    event = {"type": "message", "channel": "C1", "user": "U1", "text": TEXT, "ts": REPLY,
             "thread_ts": ROOT, "parent_user_id": "UBOT", "channel_type": "channel",
             "event_ts": REPLY, **overrides}
    return {k: v for k, v in event.items() if v is not None}


def envelope(event: dict[str, Any], event_id: str = "Ev1") -> dict[str, Any]:
    return {"token": "legacy", "team_id": "T0001", "api_app_id": "A0FAKE", "event": event,
            "type": "event_callback", "event_id": event_id, "event_time": 1700000001,
            "authorizations": [{"team_id": "T0001", "user_id": "UBOT", "is_bot": True,
                                "is_enterprise_install": False}]}


def signed_headers(body: bytes, *, content_type: str = "application/json",
                   timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256)
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={digest.hexdigest()}"}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackAPI]:
    async with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
def conversations() -> RecordingConversations:
    return RecordingConversations()


def wired_app(slack: FakeSlackAPI, conversations: RecordingConversations, storage: BaseStorage, *,
              socket_mode: bool = False) -> AsyncApp:
    client = build_slack_client("xoxb-test", slack.url)
    app = build_slack_app(client=client, signing_secret="" if socket_mode else SECRET,
                          socket_mode=socket_mode)
    register_slack_handlers(app, conversations=conversations, deliveries=SlackDeliveries(storage))
    register_fallbacks(app)
    return app


@pytest.fixture
async def http(slack: FakeSlackAPI, conversations: RecordingConversations, sqlite_storage: BaseStorage,
               aiohttp_client: AiohttpClient) -> TestClient:
    web_app = web.Application()
    add_slack_route(web_app, wired_app(slack, conversations, sqlite_storage), signing_secret=SECRET)
    return await aiohttp_client(web_app)


class Poster:
    def __init__(self, http: TestClient) -> None:
        self.http = http

    async def raw(self, body: bytes, **kwargs: Any) -> tuple[int, str]:
        extra = kwargs.pop("headers", {})
        headers = {**signed_headers(body, **kwargs), **extra}
        async with self.http.post("/slack/events", data=body, headers=headers) as response:
            return response.status, await response.text()

    async def event(self, event: dict[str, Any], event_id: str = "Ev1",
                    retry: int | None = None) -> int:
        headers = {} if retry is None else {"X-Slack-Retry-Num": str(retry),
                                            "X-Slack-Retry-Reason": "http_error"}
        status, _ = await self.raw(json.dumps(envelope(event, event_id)).encode(),
                                   headers=headers)
        return status

    async def form(self, fields: dict[str, str]) -> tuple[int, str]:
        body = "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items())
        return await self.raw(body.encode(), content_type="application/x-www-form-urlencoded")


@pytest.fixture
def post(http: TestClient) -> Poster:
    return Poster(http)


# -- delivery and dedupe ----------------------------------------------------------------------


async def test_thread_reply_reaches_the_bridge_once_despite_retries(
        post: Poster, conversations: RecordingConversations, slack: FakeSlackAPI) -> None:
    assert await post.event(thread_reply()) == 200
    assert await post.event(thread_reply(), retry=1) == 200
    assert await post.event(thread_reply(), retry=2) == 200
    assert conversations.messages == [OperatorMessage(
        slack_channel="C1", thread_ts=ROOT, ts=REPLY, user="U1", text=TEXT,
        event_key=f"slack:C1:{REPLY}",
        delivery_keys=("slack:Ev1:1", "slack:Ev1:2", "slack:Ev1:3"), delivery_ttl=3600.0)]
    assert conversations.attempts == 1
    assert len(slack.calls_to("auth.test")) == 1


async def test_a_first_delivery_writes_no_door_key(
        post: Poster, conversations: RecordingConversations, sqlite_storage: BaseStorage) -> None:
    # Slack sends attempt 0 once: testing it would cost a store write per event for nothing.
    assert await post.event(thread_reply(), "Ev7") == 200
    assert await post.event(thread_reply(ts="1700000002.000300"), "Ev8") == 200
    assert len(conversations.messages) == 2
    assert await sqlite_storage.mark_seen("slack:Ev7:0", ttl=60)


async def test_failed_processing_is_retried_and_then_deduped(
        post: Poster, conversations: RecordingConversations) -> None:
    conversations.fail_next = 1
    assert await post.event(thread_reply()) == 500
    assert conversations.messages == []
    assert await post.event(thread_reply(), retry=1) == 200
    assert await post.event(thread_reply(), retry=2) == 200
    assert [m.ts for m in conversations.messages] == [REPLY] and conversations.attempts == 2


async def test_distinct_events_are_not_deduped(post: Poster, conversations: RecordingConversations) -> None:
    assert await post.event(thread_reply(), "Ev1") == 200
    assert await post.event(thread_reply(ts="1700000002.000300"), "Ev2") == 200
    assert len(conversations.messages) == 2


@pytest.mark.parametrize("event", [
    thread_reply(bot_id="BBOT", user="UBOT"),
    thread_reply(bot_id="BBOT", user=None, subtype="bot_message"),
    thread_reply(thread_ts=None),
    thread_reply(subtype="channel_join", thread_ts=None),
], ids=["own-reply", "own-bot-message", "root", "join"])
async def test_own_and_root_messages_do_not_reach_the_bridge(
        post: Poster, conversations: RecordingConversations, event: dict[str, Any]) -> None:
    assert await post.event(event) == 200
    assert conversations.received == 0 and conversations.attempts == 0


async def test_edits_and_deletions_reach_the_bridge(post: Poster, conversations: RecordingConversations) -> None:
    edited = thread_reply(text="fixed", edited={"user": "U1", "ts": "1700000003.0"})
    changed = {"type": "message", "subtype": "message_changed", "hidden": True,
               "channel": "C1", "ts": "1700000003.000400", "message": edited,
               "previous_message": thread_reply()}
    deleted = {"type": "message", "subtype": "message_deleted", "hidden": True,
               "channel": "C1", "ts": "1700000004.000500", "deleted_ts": REPLY,
               "previous_message": thread_reply()}
    assert await post.event(changed, "Ev2") == 200
    assert await post.event(deleted, "Ev3") == 200
    assert conversations.edits == [("C1", REPLY, "fixed")]
    assert conversations.deletes == [("C1", REPLY)]


async def test_failure_is_logged_without_the_message_text(
        post: Poster, conversations: RecordingConversations, caplog: pytest.LogCaptureFixture) -> None:
    conversations.fail_next = 1
    with caplog.at_level(logging.DEBUG):
        assert await post.event(thread_reply()) == 500
    failures = [r for r in caplog.records if r.name == "bot.slack" and r.exc_info]
    assert len(failures) == 1 and "event_id=Ev1" in failures[0].getMessage()
    assert TEXT not in caplog.text and "xoxb-test" not in caplog.text


# -- what bolt and the route refuse -------------------------------------------------------------


async def test_bad_signature_is_401_and_nothing_runs(
        post: Poster, conversations: RecordingConversations, slack: FakeSlackAPI) -> None:
    body = json.dumps(envelope(thread_reply())).encode()
    status, text = await post.raw(body, secret="not-the-secret")
    assert (status, json.loads(text)) == (401, {"error": "invalid request"})
    assert conversations.attempts == 0 and slack.calls_to("auth.test") == []


async def test_bad_signature_does_not_log_the_body_at_info(
        slack: FakeSlackAPI, conversations: RecordingConversations, sqlite_storage: BaseStorage,
        aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture) -> None:
    # bolt copies the root level onto its loggers when the app is built, as in production
    # where logging is configured first.
    with caplog.at_level(logging.INFO):
        web_app = web.Application()
        add_slack_route(web_app, wired_app(slack, conversations, sqlite_storage), signing_secret=SECRET)
        post = Poster(await aiohttp_client(web_app))
        status, _ = await post.raw(json.dumps(envelope(thread_reply())).encode(),
                                   secret="not-the-secret")
    assert status == 401 and TEXT not in caplog.text


async def test_stale_timestamp_is_401(post: Poster, conversations: RecordingConversations) -> None:
    body = json.dumps(envelope(thread_reply())).encode()
    status, _ = await post.raw(body, timestamp=int(time.time()) - 6 * 60)
    assert status == 401 and conversations.attempts == 0


@pytest.mark.parametrize("body, content_type", [
    (b"{", "application/json"),
    (b"payload=%7B", "application/x-www-form-urlencoded"),
    (bytes(range(256)), "application/octet-stream"),
    (b"", "application/json"),
    (b"[1, 2]", "application/json"),
    (b"payload=%5B%5D", "application/x-www-form-urlencoded"),
    (b'{"authorizations": 5}', "application/json"),
    (b"{}", "application/json"),
    (b"a=b", "application/x-www-form-urlencoded"),
], ids=["brace", "payload-brace", "random-bytes", "empty", "array", "payload-array",
        "bad-ids", "empty-object", "stray-form"])
async def test_malformed_signed_bodies_are_400(
        post: Poster, conversations: RecordingConversations, body: bytes, content_type: str) -> None:
    status, _ = await post.raw(body, content_type=content_type)
    assert status == 400 and conversations.attempts == 0


@pytest.mark.parametrize("headers", [
    {"X-Slack-Request-Timestamp": "soon"},
    {"X-Slack-Signature": "v0=é"},
], ids=["timestamp", "signature"])
async def test_garbled_signature_headers_are_401(post: Poster, headers: dict[str, str]) -> None:
    status, _ = await post.raw(json.dumps(envelope(thread_reply())).encode(), headers=headers)
    assert status == 401


# -- refused before the body, or for a body too slow, without taking a slot --------------------

Client = TestClient[web.Request, web.Application]
PROMPT = 3.0  # a guard on a hang: the refusals below come without waiting for any body


def plausible_headers(**overrides: bytes | None) -> dict[str, bytes]:
    """Headers that pass every check made without the body (the signature is a forgery)."""
    headers = {"Content-Type": b"application/json",
               "X-Slack-Request-Timestamp": str(int(time.time())).encode(),
               "X-Slack-Signature": b"v0=" + b"0" * 64, **overrides}
    return {name: value for name, value in headers.items() if value is not None}


async def unfinished_request(http: Client, headers: dict[str, bytes]) -> RawRequest:
    """A POST whose body is announced and never sent in full."""
    return await RawRequest.open(str(http.server.host), int(http.server.port or 0),
                                 "/slack/events", headers, body=b'{"type":', announced=4096)


async def status_of(request: RawRequest) -> int:
    try:
        return await asyncio.wait_for(request.status(), PROMPT)
    finally:
        await request.close()


def stamp(offset: int) -> bytes:
    return str(int(time.time()) + offset).encode()


@pytest.mark.parametrize("timestamp", [
    None, -5 * 60 - 30, 5 * 60 + 30, b"", b"soon", "١٧٠٠٠٠٠٠٠٠".encode(),
], ids=["missing", "stale", "future", "empty", "word", "arabic-digits"])
async def test_a_bad_timestamp_is_401_before_the_body_is_read(
        http: Client, conversations: RecordingConversations, timestamp: bytes | int | None) -> None:
    # an offset from now is made into a timestamp here, not when the tests are collected
    sent = stamp(timestamp) if isinstance(timestamp, int) else timestamp
    request = await unfinished_request(http, plausible_headers(
        **{"X-Slack-Request-Timestamp": sent}))
    assert await status_of(request) == 401
    assert conversations.attempts == 0


@pytest.mark.parametrize("signature", [
    None, b"", b"v0=abc", b"v1=" + b"0" * 64, b"v0=" + b"g" * 64, b"v0=" + b"0" * 65,
], ids=["missing", "empty", "short", "other-version", "not-hex", "long"])
async def test_a_malformed_signature_is_401_before_the_body_is_read(
        http: Client, conversations: RecordingConversations, signature: bytes | None) -> None:
    request = await unfinished_request(http, plausible_headers(
        **{"X-Slack-Signature": signature}))
    assert await status_of(request) == 401
    assert conversations.attempts == 0


async def limited_app(slack: FakeSlackAPI, conversations: RecordingConversations, storage: BaseStorage,
                      aiohttp_client: AiohttpClient, admission: Admission) -> Client:
    web_app = web.Application()
    web_app[ADMISSION] = admission
    add_slack_route(web_app, wired_app(slack, conversations, storage), signing_secret=SECRET)
    return await aiohttp_client(web_app)


async def test_a_body_slower_than_the_bound_is_408_and_holds_no_slot(
        slack: FakeSlackAPI, conversations: RecordingConversations, sqlite_storage: BaseStorage,
        aiohttp_client: AiohttpClient) -> None:
    http = await limited_app(slack, conversations, sqlite_storage, aiohttp_client,
                             Admission(limit=1, body_seconds=0.2))
    slow = [await unfinished_request(http, plausible_headers()) for _ in range(3)]
    assert await asyncio.gather(*(status_of(request) for request in slow)) == [408] * 3
    async with asyncio.timeout(PROMPT):
        assert await Poster(http).event(thread_reply()) == 200
    assert [m.ts for m in conversations.messages] == [REPLY]


async def test_bodies_still_arriving_hold_no_slot(
        slack: FakeSlackAPI, conversations: RecordingConversations, sqlite_storage: BaseStorage,
        aiohttp_client: AiohttpClient) -> None:
    http = await limited_app(slack, conversations, sqlite_storage, aiohttp_client,
                             Admission(limit=1, body_seconds=60))
    slow = [await unfinished_request(http, plausible_headers()) for _ in range(3)]
    try:
        async with asyncio.timeout(PROMPT):
            assert await Poster(http).event(thread_reply()) == 200
    finally:
        await asyncio.gather(*(request.close() for request in slow))
    assert [m.ts for m in conversations.messages] == [REPLY]


async def test_a_signed_event_waits_for_a_free_slot(
        slack: FakeSlackAPI, conversations: RecordingConversations, sqlite_storage: BaseStorage,
        aiohttp_client: AiohttpClient) -> None:
    admission = Admission(limit=1)
    post = Poster(await limited_app(slack, conversations, sqlite_storage, aiohttp_client, admission))
    async with admission.slot():  # the one slot is busy with another event
        event = asyncio.create_task(post.event(thread_reply()))
        done, _ = await asyncio.wait({event}, timeout=0.3)
        assert not done and conversations.attempts == 0
    assert await asyncio.wait_for(event, PROMPT) == 200
    assert [m.ts for m in conversations.messages] == [REPLY]


# -- what Slack sends besides messages ----------------------------------------------------------


async def test_url_verification_challenge(post: Poster, slack: FakeSlackAPI) -> None:
    body = {"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification"}
    status, text = await post.raw(json.dumps(body).encode())
    assert status == 200 and json.loads(text) == {"challenge": body["challenge"]}


async def test_unknown_event_is_acked(post: Poster, conversations: RecordingConversations) -> None:
    event = {"type": "reaction_added", "user": "U1", "reaction": "eyes",
             "item": {"type": "message", "channel": "C1", "ts": REPLY}, "event_ts": REPLY}
    assert await post.event(event) == 200
    assert conversations.received == 0


async def test_rate_limit_notice_is_acked_and_logged(
        post: Poster, caplog: pytest.LogCaptureFixture) -> None:
    body = {"token": "legacy", "type": "app_rate_limited", "team_id": "T0001",
            "minute_rate_limited": 1518467820, "api_app_id": "A0FAKE"}
    with caplog.at_level(logging.WARNING, logger="bot.slack"):
        status, _ = await post.raw(json.dumps(body).encode())
    assert status == 200 and "1518467820" in caplog.text


async def test_unknown_block_action_is_acked(post: Poster) -> None:
    payload = {"type": "block_actions", "user": {"id": "U1", "team_id": "T0001"},
               "team": {"id": "T0001"}, "api_app_id": "A0FAKE", "trigger_id": "1.2.3",
               "container": {"type": "message", "message_ts": ROOT, "channel_id": "C1"},
               "channel": {"id": "C1"}, "response_url": "https://hooks.example/1",
               "actions": [{"action_id": "no_such_button", "block_id": "b", "type": "button",
                            "value": "x", "action_ts": "1700000005.0"}]}
    status, _ = await post.form({"payload": json.dumps(payload)})
    assert status == 200


async def test_unknown_view_submission_is_acked(post: Poster) -> None:
    payload = {"type": "view_submission", "user": {"id": "U1", "team_id": "T0001"},
               "team": {"id": "T0001"}, "api_app_id": "A0FAKE", "trigger_id": "1.2.3",
               "view": {"id": "V1", "type": "modal", "callback_id": "no_such_modal",
                        "state": {"values": {}}, "private_metadata": ""}}
    status, _ = await post.form({"payload": json.dumps(payload)})
    assert status == 200


async def test_unknown_slash_command_is_acked(post: Poster) -> None:
    status, _ = await post.form({
        "token": "legacy", "team_id": "T0001", "channel_id": "C1", "user_id": "U1",
        "command": "/nothing-here", "text": "", "api_app_id": "A0FAKE",
        "response_url": "https://hooks.example/commands/1", "trigger_id": "1.2.3"})
    assert status == 200


# -- construction -------------------------------------------------------------------------------


def test_client_keeps_no_sdk_retries_and_the_base_url() -> None:
    client = build_slack_client("xoxb-test", "http://127.0.0.1:9/api")
    assert client.retry_handlers == [] and client.base_url == "http://127.0.0.1:9/api/"


def test_http_mode_needs_a_signing_secret() -> None:
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        build_slack_app(client=AsyncWebClient(token="xoxb-test"), signing_secret="",
                        socket_mode=False)


def test_signature_helper_matches_slack_sdk() -> None:
    body = b'{"type":"event_callback"}'
    headers = signed_headers(body, timestamp=1531420618)
    expected = SignatureVerifier(SECRET).generate_signature(timestamp="1531420618",
                                                            body=body.decode())
    assert headers["X-Slack-Signature"] == expected


# -- Socket Mode --------------------------------------------------------------------------------


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_socket_mode_reply_reaches_the_bridge_and_is_acked(
        slack: FakeSlackAPI, conversations: RecordingConversations, sqlite_storage: BaseStorage) -> None:
    app = wired_app(slack, conversations, sqlite_storage, socket_mode=True)
    runner = SocketModeRunner(app, app_token="xapp-1-test")
    await runner.start()
    try:
        envelope_id = await slack.socket_send("events_api", envelope(thread_reply()))
        assert await slack.wait_for_ack(envelope_id) == {"envelope_id": envelope_id}
        again = await slack.socket_send("events_api", envelope(thread_reply()), retry_attempt=1)
        await slack.wait_for_ack(again)
    finally:
        await runner.stop()
    assert [m.ts for m in conversations.messages] == [REPLY] and conversations.attempts == 1
    assert len(slack.calls_to("apps.connections.open")) == 1


async def test_socket_mode_failure_is_not_acked(
        slack: FakeSlackAPI, conversations: RecordingConversations, sqlite_storage: BaseStorage) -> None:
    app = wired_app(slack, conversations, sqlite_storage, socket_mode=True)
    runner = SocketModeRunner(app, app_token="xapp-1-test")
    conversations.fail_next = 1
    await runner.start()
    try:
        failed = await slack.socket_send("events_api", envelope(thread_reply()))
        await until(lambda: conversations.attempts == 1)
        retried = await slack.socket_send("events_api", envelope(thread_reply()),
                                          retry_attempt=1)
        await slack.wait_for_ack(retried)
    finally:
        await runner.stop()
    assert failed not in slack.socket.acks
    assert [m.ts for m in conversations.messages] == [REPLY] and conversations.attempts == 2


async def test_socket_mode_start_gives_up_on_a_rejected_app_token(
        slack: FakeSlackAPI, conversations: RecordingConversations, sqlite_storage: BaseStorage) -> None:
    slack.valid_tokens = {"xoxb-test"}
    app = wired_app(slack, conversations, sqlite_storage, socket_mode=True)
    runner = SocketModeRunner(app, app_token="xapp-1-revoked", connect_timeout=0.5)
    with pytest.raises(BridgeError, match="did not connect within 0.5s"):
        await runner.start()
    await runner.stop()
    assert ("apps.connections.open", "error:invalid_auth") in slack.faults
