"""Files in an operator's reply: the bot token goes to Slack's own hosts only, Slack
Connect files are looked up, and a file that cannot be had is told in the thread at once
while the reply's text still reaches the customer."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.fakes import tg_updates as tg
from tests.scenarios.harness import CHANNEL, Desk

PDF = b"%PDF-1.4 quote"


@dataclass
class OtherHost:
    """A web server that is not Slack, recording every request it gets."""

    server: TestServer
    requests: list[dict[str, str]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))


@pytest.fixture
async def other_host() -> AsyncIterator[OtherHost]:
    host: OtherHost

    async def record(request: web.Request) -> web.Response:
        host.requests.append(dict(request.headers))
        return web.Response(body=PDF, content_type="application/pdf")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    host = OtherHost(TestServer(app, host="127.0.0.1"))
    await host.server.start_server()
    yield host
    await host.server.close()


async def _thread(desk: Desk, chat_id: int) -> str:
    await desk.customer_sends(tg.text_message(chat_id, "hello"))
    await desk.settle()
    return await desk.thread_of(chat_id)


def _bot_posts(desk: Desk, thread: str) -> list[str]:
    return [m["text"] for m in desk.slack.thread(CHANNEL, thread)[1:] if m.get("bot_id")]


async def test_a_file_hosted_outside_slack_never_gets_the_bot_token(
        desk: Desk, other_host: OtherHost) -> None:
    thread = await _thread(desk, 501)
    pdf = desk.slack.add_file("F1", PDF, name="quote.pdf", mimetype="application/pdf")
    foreign = other_host.url("/files-pri/T0001-F1/download/quote.pdf")
    pdf.update(url_private=foreign, url_private_download=foreign)
    await desk.operator_writes(thread, "Here is the quote", files=[pdf])
    await desk.settle()
    assert other_host.requests == []  # so no Authorization header either
    assert desk.tg.texts(501) == ["Sam: Here is the quote"]
    (note,) = [t for t in _bot_posts(desk, thread) if "quote.pdf" in t]
    assert "not hosted by Slack" in note


async def test_a_slack_connect_file_is_fetched_through_files_info(desk: Desk) -> None:
    thread = await _thread(desk, 501)
    desk.slack.add_file("F2", PDF, name="terms.pdf", mimetype="application/pdf")
    stub = desk.slack.add_connect_file("F2")
    await desk.operator_writes(thread, "Our terms", files=[stub])
    await desk.settle(timeout=5)
    (sent,) = desk.tg.chat(501)
    assert sent["method"] == "sendDocument" and sent["caption"] == "Sam: Our terms"
    upload = desk.tg.uploads[-1]
    assert upload["content"] == PDF and upload["filename"] == "terms.pdf"
    assert [c["file"] for c in desk.slack.calls_to("files.info")] == ["F2"]


async def test_a_file_slack_will_not_give_is_told_at_once_and_the_text_still_goes(
        desk: Desk) -> None:
    thread = await _thread(desk, 501)
    await desk.operator_writes(thread, "See attached", files=[desk.slack.add_connect_file("FX")])
    await desk.operator_writes(thread, "Anything else?")
    # no backoff: the conversation's later reply does not wait behind the file
    await desk.settle(timeout=5)
    assert desk.tg.texts(501) == ["Sam: See attached", "Sam: Anything else?"]
    assert any("Slack no longer has the file" in t for t in _bot_posts(desk, thread))
    stats = await desk.storage.outbox_stats(now=time.time())
    assert (stats.depth, stats.failed) == (0, 0)
    assert desk.slack.attempts["files.info"] == 1  # answered file_not_found, never retried


async def test_a_reply_that_is_only_a_deleted_file_fails_at_once_with_the_reason(
        desk: Desk) -> None:
    thread = await _thread(desk, 501)
    tombstone = {"id": "F3", "mode": "tombstone"}
    ts = await desk.operator_writes(thread, "", files=[tombstone])
    await desk.settle(timeout=5)
    assert desk.tg.chat(501) == []
    assert any("was deleted in Slack" in t for t in _bot_posts(desk, thread))
    stored = await desk.storage.find_message_by_slack_ts(CHANNEL, ts)
    assert stored is not None and stored.failure == "the file was deleted in Slack"
