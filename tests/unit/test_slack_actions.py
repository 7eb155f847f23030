"""Card buttons and modal submissions: signed interactivity requests through the real aiohttp
route and bolt app; views.open lands on FakeSlackAPI."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from slack_sdk.signature import SignatureVerifier

from bot.models import CardRef, LeadForm, LeadRequest, OperatorMessage
from bot.rendering import Renderer
from bot.slack.app import add_slack_route, build_slack_app, build_slack_client
from bot.slack.deliveries import SlackDeliveries
from bot.slack.interactions import card_metadata
from bot.slack.modals import decline_modal, decline_texts
from bot.slack.workspace import SlackWorkspace
from handlers.slack_actions import register_action_handlers
from handlers.slack_events import register_fallbacks, register_slack_handlers
from storage.base import BaseStorage
from tests.fakes.slack_api import FakeSlackAPI

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ROOT = "1700000000.000100"
TRIGGER = "12345.98765.abcd2358fdea"
PREFILL = LeadRequest(first_name="Ann", username="ann", status="new", source="telegram")


def card(conversation_id: int) -> CardRef:
    """The card the test clicks are on: the root message ROOT in channel C1."""
    return CardRef(conversation_id, "C1", ROOT)


AiohttpClient = Callable[[web.Application], Awaitable[TestClient]]


class RecordingCardActions:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.form: LeadForm | None = LeadForm(
            conversation_id=7, prefill=PREFILL, language="fr", channel="telegram",
            statuses=("new", "won"), sources=("telegram",), pools=())

    async def accept(self, card: CardRef, user: str) -> None:
        self.calls.append(("accept", card, user))

    async def decline_form(self, card: CardRef, user: str) -> bool:
        self.calls.append(("decline_form", card, user))
        return True

    async def decline(self, card: CardRef, user: str, *, reason: str, notify: bool) -> None:
        self.calls.append(("decline", card, user, reason, notify))

    async def lead_form(self, card: CardRef, user: str) -> LeadForm | None:
        self.calls.append(("lead_form", card, user))
        return self.form

    async def create_lead(self, card: CardRef, user: str, request: LeadRequest) -> None:
        self.calls.append(("create_lead", card, user, request))


class NoConversations:
    async def on_operator_message(self, message: OperatorMessage) -> bool:
        raise AssertionError("no message events in these tests")

    async def on_operator_edit(self, slack_channel: str, ts: str, text: str) -> None:
        raise AssertionError("no message events in these tests")

    async def on_operator_delete(self, slack_channel: str, ts: str) -> None:
        raise AssertionError("no message events in these tests")


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackAPI]:
    async with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
def card_actions() -> RecordingCardActions:
    return RecordingCardActions()


@pytest.fixture
async def workspace(slack: FakeSlackAPI) -> AsyncIterator[SlackWorkspace]:
    http = aiohttp.ClientSession()
    workspace = SlackWorkspace(build_slack_client("xoxb-test", slack.url, session=http),
                               http=http)
    yield workspace
    await workspace.stop()


@pytest.fixture
async def http(workspace: SlackWorkspace, card_actions: RecordingCardActions, sqlite_storage: BaseStorage,
               aiohttp_client: AiohttpClient) -> TestClient:
    app = build_slack_app(client=workspace.client, signing_secret=SECRET, socket_mode=False)
    register_slack_handlers(app, conversations=NoConversations(),
                            deliveries=SlackDeliveries(sqlite_storage))
    register_action_handlers(app, card_actions=card_actions, renderer=Renderer(), workspace=workspace)
    register_fallbacks(app)
    web_app = web.Application()
    add_slack_route(web_app, app, signing_secret=SECRET)
    return await aiohttp_client(web_app)


async def send(http: TestClient, payload: dict[str, Any]) -> tuple[int, str]:
    body = f"payload={quote(json.dumps(payload), safe='')}"
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(
                   timestamp=timestamp, body=body)}
    async with http.post("/slack/events", data=body.encode(), headers=headers) as response:
        return response.status, await response.text()


def click(action_id: str, value: str, user: str = "U1") -> dict[str, Any]:
    return {"type": "block_actions", "user": {"id": user, "username": "sam", "team_id": "T0001"},
            "api_app_id": "A0FAKE", "token": "legacy", "trigger_id": TRIGGER,
            "team": {"id": "T0001", "domain": "desk"}, "channel": {"id": "C1", "name": "desk"},
            "container": {"type": "message", "message_ts": ROOT, "channel_id": "C1",
                          "is_ephemeral": False},
            "response_url": "https://hooks.example/actions/1",
            "actions": [{"action_id": action_id, "block_id": f"conv:{value}", "value": value,
                         "type": "button", "text": {"type": "plain_text", "text": "x"},
                         "action_ts": "1700000005.000000"}]}


def submission(callback_id: str, metadata: str, values: dict[str, dict[str, Any]],
               user: str = "U1") -> dict[str, Any]:
    state = {block: {"value": element} for block, element in values.items()}
    return {"type": "view_submission", "user": {"id": user, "team_id": "T0001"},
            "team": {"id": "T0001"}, "api_app_id": "A0FAKE", "token": "legacy",
            "trigger_id": TRIGGER,
            "view": {"id": "V1", "team_id": "T0001", "type": "modal", "blocks": [],
                     "private_metadata": metadata, "callback_id": callback_id,
                     "state": {"values": state}, "hash": "1700000000.abc"}}


def decline_values(reason: str | None, notify: bool) -> dict[str, dict[str, Any]]:
    chosen = [{"text": {"type": "plain_text", "text": "x"}, "value": "notify"}] if notify else []
    return {"reason": {"type": "plain_text_input", "value": reason},
            "notify": {"type": "checkboxes", "selected_options": chosen}}


def lead_values(email: str | None) -> dict[str, dict[str, Any]]:
    return {"first_name": {"type": "plain_text_input", "value": "Ann"},
            "email": {"type": "plain_text_input", "value": email},
            "owner": {"type": "users_select", "selected_user": "U9"},
            "status": {"type": "static_select",
                       "selected_option": {"text": {"type": "plain_text", "text": "won"},
                                           "value": "won"}},
            "source": {"type": "static_select", "selected_option": None}}


# -- buttons --------------------------------------------------------------------------------------


async def test_accept_click_calls_the_desk_actions(http: TestClient, card_actions: RecordingCardActions) -> None:
    assert await send(http, click("conv_accept", "42", user="U5")) == (200, "")
    assert card_actions.calls == [("accept", card(42), "U5")]


async def test_double_click_is_forwarded_twice(http: TestClient, card_actions: RecordingCardActions) -> None:
    for _ in range(2):
        assert (await send(http, click("conv_accept", "42")))[0] == 200
    assert card_actions.calls == [("accept", card(42), "U1")] * 2


async def test_decline_click_opens_the_decline_modal(
        http: TestClient, card_actions: RecordingCardActions, slack: FakeSlackAPI) -> None:
    assert await send(http, click("conv_decline", "42")) == (200, "")
    [call] = slack.calls_to("views.open")
    assert call["trigger_id"] == TRIGGER
    assert call["view"] == decline_modal(card(42), decline_texts(Renderer()))
    assert card_actions.calls == [("decline_form", card(42), "U1")]


async def test_create_lead_click_opens_a_prefilled_modal(
        http: TestClient, card_actions: RecordingCardActions, slack: FakeSlackAPI) -> None:
    assert await send(http, click("lead_create", "7", user="U5")) == (200, "")
    assert card_actions.calls == [("lead_form", card(7), "U5")]
    [call] = slack.calls_to("views.open")
    view = call["view"]
    assert call["trigger_id"] == TRIGGER
    assert (view["callback_id"], view["private_metadata"]) == ("lead_create_modal",
                                                               card_metadata(card(7)))
    blocks = {b["block_id"]: b for b in view["blocks"] if "block_id" in b}
    assert blocks["first_name"]["element"]["initial_value"] == "Ann"
    assert blocks["status"]["element"]["initial_option"]["value"] == "new"
    assert "pool" not in blocks


async def test_refused_lead_form_opens_nothing(
        http: TestClient, card_actions: RecordingCardActions, slack: FakeSlackAPI) -> None:
    card_actions.form = None
    assert await send(http, click("lead_create", "7")) == (200, "")
    assert card_actions.calls == [("lead_form", card(7), "U1")]
    assert slack.calls_to("views.open") == []


@pytest.mark.parametrize("action_id", ["conv_accept", "conv_decline", "lead_create"])
@pytest.mark.parametrize("value", ["", "abc", "-3", "0", "4.5"])
async def test_malformed_value_is_acked_and_ignored(
        http: TestClient, card_actions: RecordingCardActions, slack: FakeSlackAPI, action_id: str,
        value: str) -> None:
    assert await send(http, click(action_id, value)) == (200, "")
    assert card_actions.calls == [] and slack.calls_to("views.open") == []


@pytest.mark.parametrize("fault, logged", [
    ("expired", "expired_trigger_id"), ("dropped", "could not reach Slack")])
async def test_failing_to_open_the_modal_is_logged_and_acked(
        http: TestClient, slack: FakeSlackAPI, caplog: pytest.LogCaptureFixture, fault: str,
        logged: str) -> None:
    if fault == "expired":
        slack.fail_next("views.open", error="expired_trigger_id")
    else:
        slack.drop_next("views.open")
    with caplog.at_level(logging.WARNING, logger="bot.slack"):
        assert await send(http, click("conv_decline", "42")) == (200, "")
    assert logged in caplog.text and "conv_decline_modal" in caplog.text
    assert slack.calls_to("views.open") == []


# -- modal submissions ----------------------------------------------------------------------------


@pytest.mark.parametrize(("reason", "notify", "expected"), [
    ("out of area", True, ("out of area", True)),
    (None, True, ("", True)),
    ("spam", False, ("spam", False)),
], ids=["reason", "no-reason", "notify-unticked"])
async def test_decline_submission_calls_the_desk_actions(
        http: TestClient, card_actions: RecordingCardActions, reason: str | None, notify: bool,
        expected: tuple[str, bool]) -> None:
    payload = submission("conv_decline_modal", card_metadata(card(42)),
                         decline_values(reason, notify), user="U5")
    assert await send(http, payload) == (200, "")
    assert card_actions.calls == [("decline", card(42), "U5", *expected)]


async def test_lead_submission_calls_the_desk_actions(http: TestClient, card_actions: RecordingCardActions) -> None:
    payload = submission("lead_create_modal", card_metadata(card(7)),
                         lead_values("ann@example.com"), user="U5")
    assert await send(http, payload) == (200, "")
    assert card_actions.calls == [("create_lead", card(7), "U5", LeadRequest(
        first_name="Ann", email="ann@example.com", owner="U9", status="won"))]


async def test_invalid_email_keeps_the_modal_open(http: TestClient, card_actions: RecordingCardActions) -> None:
    status, body = await send(http, submission("lead_create_modal", card_metadata(card(7)),
                                               lead_values("ann")))
    assert status == 200 and card_actions.calls == []
    answer = json.loads(body)
    assert answer["response_action"] == "errors" and list(answer["errors"]) == ["email"]
    assert answer["errors"]["email"]


@pytest.mark.parametrize("callback_id, values", [
    ("conv_decline_modal", decline_values("x", True)),
    ("lead_create_modal", lead_values(None)),
])
async def test_malformed_metadata_closes_the_modal_and_calls_nothing(
        http: TestClient, card_actions: RecordingCardActions, callback_id: str,
        values: dict[str, dict[str, Any]]) -> None:
    assert await send(http, submission(callback_id, "not-a-number", values)) == (200, "")
    assert card_actions.calls == []
