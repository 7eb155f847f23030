"""Slack per inbox: ordering keys and rate buckets, the inbox directory, the brand on the
card, the workspace's client per channel, and bolt authorizing a second workspace."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot import jobs
from bot.cards import render_card
from bot.errors import PermanentError
from bot.inbox_directory import InboxDirectory
from bot.inboxes import Inbox
from bot.manager.customer_effects import mark_conversation
from bot.models import (
    DEFAULT_INBOX,
    Conversation,
    ConversationKey,
    Customer,
    Direction,
    Job,
    JobState,
    Limit,
    Message,
    Status,
    ordering_scope,
)
from bot.rendering import Renderer
from bot.slack.app import build_slack_app, build_slack_client
from bot.slack.teams import Installations
from bot.slack.workspace import SlackWorkspace
from tests.fakes.slack_api import FakeSlackAPI

SECRET = "inbox-signing-secret"
OTHER = "xoxb-other-workspace"
T0 = datetime(2026, 12, 1, tzinfo=UTC)


def conversation(inbox: str = DEFAULT_INBOX, *, slack_channel: str = "",
                 conv_id: int = 7) -> Conversation:
    return Conversation(id=conv_id, key=ConversationKey("telegram", "42", inbox=inbox),
                        status=Status.NEW, created_at=T0, slack_channel=slack_channel,
                        thread_ts="1700000000.000100" if slack_channel else "")


def job_keyed(ordering_key: str) -> Job:
    return Job(id=1, kind="slack.notice", payload={}, dedupe_key="d", ordering_key=ordering_key,
               state=JobState.PENDING, attempts=0, due_at=0.0, created_at=0.0)


# -- ordering keys and buckets -----------------------------------------------------------------

@pytest.mark.parametrize(("ordering_key", "scope"), [
    ("slack:conv:7@acme", "acme"),
    ("slack:conv:7", ""),
    ("slack:conv:7@a@zen", "zen"),
    ("@acme", ""),
    ("", ""),
])
def test_the_scope_of_an_ordering_key(ordering_key: str, scope: str) -> None:
    assert ordering_scope(ordering_key) == scope


def test_the_default_inbox_keeps_the_ordering_key_of_the_previous_release() -> None:
    assert jobs.to_slack(7) == jobs.to_slack(7, DEFAULT_INBOX) == "slack:conv:7"
    assert jobs.to_slack(7, "acme") == "slack:conv:7@acme"


def test_a_conversations_slack_jobs_share_one_ordering_key() -> None:
    """The relay_in job opens the thread; the notices, card refreshes, reactions and marks that
    follow must wait for it, so they are all ordered on the same key."""
    conv = conversation("acme", slack_channel="CACME")
    msg = Message(id=3, conversation_id=conv.id, direction=Direction.IN, author="",
                  created_at=T0, slack_ts="1700000001.000200", slack_channel="CACME")
    keys = {jobs.relay_in(conv, msg).ordering_key, jobs.notice(conv, "n", "d").ordering_key,
            jobs.refresh_card(conv, "d").ordering_key, jobs.react(conv, msg, "ok").ordering_key,
            jobs.for_message(jobs.MIRROR_EDIT, msg, "d", inbox="acme").ordering_key,
            mark_conversation(conv, {}, "d").ordering_key}
    assert keys == {"slack:conv:7@acme"}
    assert jobs.react(conv, msg, "ok").payload["channel"] == "CACME"


def test_a_bucket_per_scope() -> None:
    limit = Limit("slack:", rate=1, burst=4, per_scope=True)
    assert limit.bucket_for(job_keyed("slack:conv:7@acme")) == "slack:acme"
    assert limit.bucket_for(job_keyed("slack:conv:8")) == "slack:"
    assert Limit("slack:C1", rate=1, burst=4).bucket_for(job_keyed("slack:conv:7@acme")) \
        == "slack:C1"


def test_a_whisper_always_names_its_channel() -> None:
    whisper = jobs.whisper("U1", "psst", "", "d", channel="CZEN")
    assert whisper.payload["channel"] == "CZEN"


# -- the inbox directory ----------------------------------------------------------------------

ACME = Inbox("acme", slack_channel="CACME", brand="ACME Garden")
ZEN = Inbox("zen", slack_channel="CZEN")


def test_a_thread_opens_in_its_inboxs_channel_and_stays_in_its_own() -> None:
    directory = InboxDirectory((ACME, ZEN))
    assert directory.slack_channel(conversation("acme")) == "CACME"
    assert directory.slack_channel(conversation("zen")) == "CZEN"
    # a thread opened before the inbox moved channel stays where it is
    assert directory.slack_channel(conversation("acme", slack_channel="COLD")) == "COLD"


def test_a_conversation_of_an_inbox_not_configured_fails_clearly() -> None:
    with pytest.raises(PermanentError, match="'gone'"):
        InboxDirectory((ACME,)).slack_channel(conversation("gone"))


def test_the_brand_shows_only_when_there_are_several_inboxes() -> None:
    assert InboxDirectory((ACME, ZEN)).brand(conversation("acme")) == "ACME Garden"
    assert InboxDirectory((ACME, ZEN)).brand(conversation("zen")) == "zen"
    assert InboxDirectory((ACME,)).brand(conversation("acme")) == ""


def test_answers_queued_without_a_channel_go_to_the_default_inboxs() -> None:
    default = Inbox(DEFAULT_INBOX, slack_channel="COPS")
    assert InboxDirectory((ACME, default)).default_channel() == "COPS"
    assert InboxDirectory((ACME, ZEN)).default_channel() == "CACME"


def test_the_card_names_the_brand() -> None:
    renderer = Renderer(default_language="en")
    customer = Customer(ConversationKey("telegram", "42", inbox="acme"), name="Ann Lee")
    branded = render_card(renderer, conversation("acme"), customer, None, brand="ACME <Garden>")
    assert branded.text == "New conversation for ACME &lt;Garden&gt; from Ann Lee on Telegram"
    assert "ACME &lt;Garden&gt;" in json.dumps(branded.blocks[0])
    plain = render_card(renderer, conversation("acme"), customer, None)
    assert plain.text == "New conversation from Ann Lee on Telegram"


# -- the workspace: a client per channel -------------------------------------------------------

@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackAPI]:
    async with FakeSlackAPI() as fake:
        fake.workspaces[OTHER] = ("T0002", "UBOT2", "BBOT2")
        fake.add_user("U1", real_name="Sam Porter", display_name="sam", first_name="Sam")
        yield fake


@pytest.fixture
async def workspace(slack: FakeSlackAPI) -> AsyncIterator[SlackWorkspace]:
    http = aiohttp.ClientSession()
    own = build_slack_client("xoxb-own", slack.url, session=http)
    other = build_slack_client(OTHER, slack.url, session=http)
    space = SlackWorkspace(own, http=http, clients={"CZEN": other})
    yield space
    await space.stop()


async def test_every_call_goes_to_the_channel_it_names_with_that_workspaces_token(
        workspace: SlackWorkspace, slack: FakeSlackAPI) -> None:
    for channel in ("CACME", "CZEN"):
        root = await workspace.post(channel, text="card")
        reply = await workspace.post(channel, text="hi", thread_ts=root)
        await workspace.update(channel, root, text="card, updated")
        await workspace.react(channel, reply, "white_check_mark")
        await workspace.whisper(channel, "U1", "psst", root)
    assert [m["text"] for m in slack.messages["CACME"]] == ["card, updated", "hi"]
    assert [m["text"] for m in slack.messages["CZEN"]] == ["card, updated", "hi"]
    assert slack.tokens_used_in("CACME") == {"xoxb-own"}
    assert slack.tokens_used_in("CZEN") == {OTHER}


async def test_a_users_name_is_asked_of_the_channels_workspace(
        workspace: SlackWorkspace, slack: FakeSlackAPI) -> None:
    assert (await workspace.profile("CZEN", "U1"))["first"] == "Sam"
    assert (await workspace.profile("CACME", "U1"))["first"] == "Sam"
    assert (await workspace.profile("CZEN", "U1"))["first"] == "Sam"  # cached
    assert len(slack.calls_to("users.info")) == 2


# -- bolt: events of either workspace ----------------------------------------------------------

def signed(body: dict[str, Any]) -> AsyncBoltRequest:
    raw = json.dumps(body)
    ts = str(int(time.time()))
    return AsyncBoltRequest(body=raw, headers={
        "content-type": ["application/json"], "x-slack-request-timestamp": [ts],
        "x-slack-signature": [SignatureVerifier(SECRET).generate_signature(timestamp=ts,
                                                                           body=raw)]})


def event_from(team_id: str, text: str, user: str = "U1") -> AsyncBoltRequest:
    event = {"type": "app_mention", "channel": "C1", "user": user, "text": text,
             "ts": "1700000001.000200", "event_ts": "1700000001.000200"}
    return signed({"token": "legacy", "team_id": team_id, "api_app_id": "A0FAKE",
                   "type": "event_callback", "event": event, "event_id": f"Ev{text}",
                   "event_time": 1700000001,
                   "authorizations": [{"team_id": team_id, "user_id": "UBOT", "is_bot": True,
                                       "is_enterprise_install": False}]})


@pytest.fixture
async def two_workspaces_app(slack: FakeSlackAPI) -> AsyncIterator[
        tuple[AsyncApp, list[tuple[str, str, str]]]]:
    http = aiohttp.ClientSession()
    own = build_slack_client("xoxb-own", slack.url, session=http)
    other = build_slack_client(OTHER, slack.url, session=http)
    authorize = Installations([own, other]).authorize_function()
    app = build_slack_app(client=own, signing_secret=SECRET, socket_mode=False,
                          authorize=authorize)
    seen: list[tuple[str, str, str]] = []

    @app.event("app_mention")
    async def mentioned(event: dict[str, Any], context: AsyncBoltContext) -> None:
        seen.append((event["text"], str(context.bot_user_id), str(context.client.token)))

    yield app, seen
    await http.close()


async def test_events_of_both_workspaces_reach_the_listeners_as_their_own(
        two_workspaces_app: tuple[AsyncApp, list[tuple[str, str, str]]],
        slack: FakeSlackAPI) -> None:
    app, seen = two_workspaces_app
    assert (await app.async_dispatch(event_from("T0001", "one"))).status == 200
    assert (await app.async_dispatch(event_from("T0002", "two"))).status == 200
    assert (await app.async_dispatch(event_from("T0002", "three"))).status == 200
    assert seen == [("one", "UBOT", "xoxb-own"), ("two", "UBOT2", OTHER),
                    ("three", "UBOT2", OTHER)]
    assert len(slack.calls_to("auth.test")) == 2  # once per token, when first needed


async def test_an_event_of_a_workspace_without_a_token_reaches_no_listener(
        two_workspaces_app: tuple[AsyncApp, list[tuple[str, str, str]]]) -> None:
    app, seen = two_workspaces_app
    await app.async_dispatch(event_from("T0009", "stranger"))
    assert seen == []


async def test_the_bot_itself_in_the_other_workspace_is_ignored(
        two_workspaces_app: tuple[AsyncApp, list[tuple[str, str, str]]]) -> None:
    app, seen = two_workspaces_app
    await app.async_dispatch(event_from("T0002", "own words", user="UBOT2"))
    assert seen == []
