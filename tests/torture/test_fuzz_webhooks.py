"""Fuzzed input on every inbound route of the whole web app (``build_app`` + TestClient):
malformed, truncated, oversized and random bodies and headers never get a 5xx, never leave
a stored conversation or outbox job, and the app is healthy afterwards.

Hypothesis runs derandomized (the same examples in every run) with no example database.
Each test owns one event loop and one desk; every example is one request on it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from slack_bolt.request.internals import parse_body
from slack_bolt.request.payload_utils import (
    to_action,
    to_command,
    to_event,
    to_message,
    to_options,
    to_shortcut,
    to_step,
    to_view,
)

from bot.slack.blocks import ACCEPT, CREATE_LEAD, DECLINE
from bot.slack.modals import DECLINE_MODAL, LEAD_MODAL
from tests.fakes import tg_updates as tg
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.scenarios.harness import CHANNEL, OPERATOR, SIGNING_SECRET, WEBHOOK_SECRET, Desk, running_desk

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
MAX_BODY = 1024 * 1024  # MAX_BODY_BYTES' default, which the desk runs with
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)


class Runner:
    """A desk on its own loop, driven one request at a time from synchronous tests."""

    def __init__(self, loop: asyncio.Runner, desk: Desk) -> None:
        self.loop, self.desk = loop, desk

    def request(self, method: str, path: str, body: bytes = b"",
                headers: dict[str, str] | None = None) -> int:
        async def send() -> int:
            try:
                # a stream, as aiohttp asks for large bodies (it warns on big raw bytes)
                async with self.desk.http.request(method, path, data=io.BytesIO(body),
                                                  headers=headers or {}) as response:
                    await response.read()
                    return response.status
            except aiohttp.ClientError as exc:
                # only a body over the limit may be cut off (after the 413 is sent)
                assert isinstance(body, Oversized), repr(exc)
                return 413

        return self.loop.run(send())

    def assert_nothing_stored_and_healthy(self) -> None:
        async def check() -> None:
            store = self.desk.storage
            assert await store.list_conversations() == []
            stats = await store.outbox_stats(now=time.time())
            assert (stats.depth, stats.failed) == (0, 0), stats
            response = await self.desk.http.get("/healthz")
            assert response.status == 200, await response.text()

        self.loop.run(check())


@contextmanager
def desk(tmp_path: Path) -> Iterator[Runner]:
    from storage.sqlite import SqliteStorage

    with asyncio.Runner() as loop:
        slack, telegram = FakeSlackAPI(), FakeTelegramAPI()
        loop.run(slack.start())
        loop.run(telegram.start())
        slack.add_user(OPERATOR, real_name="Sam Porter", display_name="sam", first_name="Sam")
        store = loop.run(SqliteStorage.from_url(f"sqlite:///{tmp_path / 'fuzz.sqlite3'}"))
        running = running_desk(store, slack, telegram)
        try:
            yield Runner(loop, loop.run(running.__aenter__()))
        finally:
            loop.run(running.__aexit__(None, None, None))
            loop.run(slack.stop())
            loop.run(telegram.stop())


# -- bodies ------------------------------------------------------------------------------
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=20)


def valid_update(chat_id: int = 4242, text: str = "hello") -> dict[str, Any]:
    return tg.text_message(chat_id, text, message_id=1, update_id=1)


@st.composite
def truncated(draw: st.DrawFn, document: Any) -> bytes:
    raw = json.dumps(document).encode()
    return raw[:draw(st.integers(0, len(raw) - 1))]


@st.composite
def update_missing_a_field(draw: st.DrawFn) -> bytes:
    """A real update with one field Telegram always sends taken out."""
    update = valid_update(text=draw(st.text(max_size=50)))
    where, field = draw(st.sampled_from([("message", "message_id"), ("message", "date"),
                                         ("message", "chat"), ("chat", "id"), ("chat", "type"),
                                         ("update", "update_id")]))
    holder = {"update": update, "message": update["message"],
              "chat": update["message"]["chat"]}[where]
    del holder[field]
    return json.dumps(update).encode()


@st.composite
def update_with_wrong_type(draw: st.DrawFn) -> bytes:
    """A real update whose chat id, date or message id is no number."""
    update = valid_update()
    message = update["message"]
    holder, field = draw(st.sampled_from([(message["chat"], "id"), (message, "date"),
                                          (message, "message_id")]))
    holder[field] = draw(st.one_of(st.text(st.characters(categories=["L"]), min_size=1),
                                   st.lists(st.integers(), max_size=2), st.none(),
                                   st.dictionaries(st.text(), st.integers(), max_size=2)))
    return json.dumps(update).encode()


class Oversized(bytes):
    """A body just over ``MAX_BODY_BYTES`` that shows itself briefly in failure reports."""

    def __repr__(self) -> str:
        return f"Oversized({len(self)} bytes)"


@st.composite
def update_with_surrogates(draw: st.DrawFn) -> bytes:
    """A real update whose text holds a lone UTF-16 surrogate escape (valid JSON, not
    encodable UTF-8)."""
    lone = draw(st.integers(0xD800, 0xDFFF))
    return json.dumps(valid_update(text="x")).replace('"x"', f'"a\\u{lone:04x}b"').encode()


DEEP = st.integers(1, 20_000).map(lambda n: b"[" * n + b"]" * n)
OVERSIZED = st.integers(1, 4096).map(lambda extra: Oversized(b" " * (MAX_BODY + extra)))
MALFORMED_UPDATES = st.one_of(
    st.binary(max_size=2048),
    st.text(max_size=512).map(str.encode),
    JSON.map(lambda value: json.dumps(value).encode()),
    truncated(valid_update()),
    update_missing_a_field(),
    update_with_wrong_type(),
    update_with_surrogates(),
    DEEP,
    OVERSIZED,
)


# -- /telegram/webhook -------------------------------------------------------------------
def test_fuzz_telegram_webhook_with_the_right_secret(tmp_path: Path) -> None:
    with desk(tmp_path) as runner:
        @FUZZ
        @given(body=MALFORMED_UPDATES,
               content_type=st.sampled_from(["application/json", "text/plain", "",
                                             "application/x-www-form-urlencoded"]))
        def malformed(body: bytes, content_type: str) -> None:
            headers = {SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": content_type}
            status = runner.request("POST", "/telegram/webhook", body, headers)
            assert status in (400, 413), status

        malformed()
        runner.assert_nothing_stored_and_healthy()


def test_fuzz_telegram_webhook_without_the_right_secret(tmp_path: Path) -> None:
    with desk(tmp_path) as runner:
        valid = st.builds(lambda text: json.dumps(valid_update(text=text)).encode(), st.text())

        @FUZZ
        @given(body=st.one_of(valid, MALFORMED_UPDATES),
               secret=st.one_of(st.none(), HEADER_TEXT.filter(lambda s: s != WEBHOOK_SECRET),
                                st.just(WEBHOOK_SECRET[:-1]), st.just(WEBHOOK_SECRET + "x")))
        def refused(body: bytes, secret: str | None) -> None:
            headers = {"Content-Type": "application/json"}
            if secret is not None:
                headers[SECRET_HEADER] = secret
            status = runner.request("POST", "/telegram/webhook", body, headers)
            assert status in (401, 413), status

        refused()
        runner.assert_nothing_stored_and_healthy()


# -- /slack/events -----------------------------------------------------------------------
def signed(body: bytes, content_type: str) -> dict[str, str]:
    """Slack's v0 signature over the raw bytes (slack_sdk's signer wants UTF-8 text)."""
    stamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body,
                      hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": f"v0={digest}"}


MESSAGE_EVENT = st.fixed_dictionaries({
    "type": st.just("message"), "channel": st.sampled_from([CHANNEL, "CXYZ", ""]),
    "user": st.one_of(st.just(OPERATOR), st.text(max_size=8)),
    "text": st.text(max_size=60), "ts": st.one_of(st.text(max_size=20), st.just("1.000100")),
    "thread_ts": st.one_of(st.none(), st.text(max_size=20), st.just("1.000001")),
}, optional={"subtype": st.sampled_from(["message_changed", "message_deleted", "file_share",
                                         "bot_message", "thread_broadcast"]),
             "files": JSON, "message": JSON, "deleted_ts": JSON, "previous_message": JSON})
ENVELOPE = st.fixed_dictionaries({
    "type": st.sampled_from(["event_callback", "url_verification", "app_rate_limited",
                             "block_actions", "view_submission", "nonsense"]),
    "event_id": st.text(max_size=12), "team_id": st.just("T0001"),
}, optional={"event": st.one_of(MESSAGE_EVENT, JSON), "challenge": JSON,
             "minute_rate_limited": JSON})
CONVERSATION_ID = st.one_of(st.integers(-5, 10 ** 30).map(str), st.text(max_size=12), JSON)
ACTION = st.fixed_dictionaries({
    "type": st.just("block_actions"), "user": st.fixed_dictionaries({"id": st.just(OPERATOR)}),
    "trigger_id": st.text(max_size=10), "team": st.just({"id": "T0001"}),
    "actions": st.lists(st.fixed_dictionaries({
        "action_id": st.sampled_from([ACCEPT, DECLINE, CREATE_LEAD, "other"]),
        "value": CONVERSATION_ID, "block_id": st.text(max_size=5)}), max_size=2),
})
VIEW = st.fixed_dictionaries({
    "type": st.just("view_submission"), "user": st.just({"id": OPERATOR}),
    "team": st.just({"id": "T0001"}),
    "view": st.fixed_dictionaries({
        "callback_id": st.sampled_from([DECLINE_MODAL, LEAD_MODAL, "other"]),
        "private_metadata": CONVERSATION_ID, "state": st.one_of(JSON, st.just({"values": {}})),
        "id": st.text(max_size=6)}),
})
COMMAND = st.dictionaries(st.sampled_from(["command", "text", "user_id", "channel_id",
                                           "team_id", "trigger_id", "response_url"]),
                          st.text(max_size=30), max_size=7)


def form(fields: dict[str, str]) -> bytes:
    return urllib.parse.urlencode(fields).encode()


SIGNED_BODIES = st.one_of(
    st.tuples(st.binary(max_size=1024), st.sampled_from(["application/json",
                                                         "application/x-www-form-urlencoded"])),
    st.tuples(JSON.map(lambda v: json.dumps(v).encode()), st.just("application/json")),
    st.tuples(ENVELOPE.map(lambda v: json.dumps(v).encode()), st.just("application/json")),
    st.tuples(truncated({"type": "event_callback", "event": {"type": "message"}}),
              st.just("application/json")),
    st.tuples(st.one_of(ACTION, VIEW, JSON).map(lambda v: form({"payload": json.dumps(v)})),
              st.just("application/x-www-form-urlencoded")),
    st.tuples(st.text(max_size=200).map(lambda t: form({"payload": t})),
              st.just("application/x-www-form-urlencoded")),
    st.tuples(COMMAND.map(form), st.just("application/x-www-form-urlencoded")),
)


def test_fuzz_slack_events_signed(tmp_path: Path) -> None:
    with desk(tmp_path) as runner:
        @FUZZ
        @given(case=SIGNED_BODIES)
        def signed_request(case: tuple[bytes, str]) -> None:
            body, content_type = case
            status = runner.request("POST", "/slack/events", body, signed(body, content_type))
            assert status < 500, (status, body)

        signed_request()
        runner.assert_nothing_stored_and_healthy()


def test_fuzz_slack_events_unsigned_or_badly_signed(tmp_path: Path) -> None:
    with desk(tmp_path) as runner:
        @FUZZ
        @given(case=SIGNED_BODIES, timestamp=st.one_of(st.none(), HEADER_TEXT,
                                                       st.integers().map(str)),
               signature=st.one_of(st.none(), HEADER_TEXT, st.just("v0=" + "0" * 64)))
        def unsigned(case: tuple[bytes, str], timestamp: str | None,
                     signature: str | None) -> None:
            body, content_type = case
            headers = {"Content-Type": content_type}
            if timestamp is not None:
                headers["X-Slack-Request-Timestamp"] = timestamp
            if signature is not None:
                headers["X-Slack-Signature"] = signature
            status = runner.request("POST", "/slack/events", body, headers)
            assert status in (400, 401, 413), (status, body)

        unsigned()
        runner.assert_nothing_stored_and_healthy()


# -- /healthz ----------------------------------------------------------------------------
def test_fuzz_healthz_with_odd_methods_and_headers(tmp_path: Path) -> None:
    with desk(tmp_path) as runner:
        @FUZZ
        @given(method=st.one_of(st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE",
                                                 "PATCH", "OPTIONS", "TRACE", "CONNECT"]),
                                st.from_regex(r"[A-Z]{1,12}", fullmatch=True)),
               path=st.sampled_from(["/healthz", "/healthz/", "/healthz?x=1", "/metrics"]),
               body=st.binary(max_size=256),
               header=st.dictionaries(st.from_regex(r"X-[A-Za-z]{1,10}", fullmatch=True),
                                      HEADER_TEXT, max_size=3))
        def odd(method: str, path: str, body: bytes, header: dict[str, str]) -> None:
            if method == "CONNECT":
                # The HTTP parser takes CONNECT for a protocol switch: the bytes after its
                # headers would open the next request on a reused connection (that client's
                # own request turning into a 400), so this one gets a connection of its own.
                header = {**header, "Connection": "close"}
            status = runner.request(method, path, body, header)
            assert status < 500, (method, path, status)
            if method in ("GET", "HEAD") and path != "/healthz/":
                assert status == 200, (method, path, status)

        odd()
        runner.assert_nothing_stored_and_healthy()


# -- regressions: inputs the fuzzer once turned into 500s ----------------------------
def test_signed_block_actions_without_actions_is_a_client_error(tmp_path: Path) -> None:
    body = form({"payload": json.dumps({"type": "block_actions", "user": {"id": OPERATOR},
                                        "team": {"id": "T0001"}, "actions": []})})
    with desk(tmp_path) as runner:
        status = runner.request("POST", "/slack/events", body,
                                signed(body, "application/x-www-form-urlencoded"))
    assert status < 500, status


def test_signed_envelope_with_a_null_event_is_a_client_error(tmp_path: Path) -> None:
    body = b'{"type": "url_verification", "event_id": "", "team_id": "T0001", "event": null}'
    with desk(tmp_path) as runner:
        status = runner.request("POST", "/slack/events", body, signed(body, "application/json"))
    assert status < 500, status


def test_deeply_nested_json_update_is_a_client_error(tmp_path: Path) -> None:
    with desk(tmp_path) as runner:
        status = runner.request("POST", "/telegram/webhook", b"[" * 5000 + b"]" * 5000,
                                {SECRET_HEADER: WEBHOOK_SECRET})
        runner.assert_nothing_stored_and_healthy()
    assert status == 400, status


def test_update_with_a_lone_surrogate_is_a_client_error(tmp_path: Path) -> None:
    body = json.dumps(valid_update(text="x")).replace('"x"', '"a\\ud800b"').encode()
    with desk(tmp_path) as runner:
        status = runner.request("POST", "/telegram/webhook", body,
                                {SECRET_HEADER: WEBHOOK_SECRET})
        runner.assert_nothing_stored_and_healthy()
    assert status == 400, status
