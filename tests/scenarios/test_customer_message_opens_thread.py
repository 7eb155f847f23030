"""A customer writes on Telegram: the conversation appears as one thread in Slack."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from handlers.telegram_webhook import SECRET_HEADER
from tests.fakes import tg_updates as tg
from tests.scenarios.harness import CHANNEL, Desk
from tests.support.raw_http import RawRequest


async def test_first_message_opens_a_thread_and_later_ones_land_in_it(desk: Desk) -> None:
    ann = {"first_name": "Ann", "last_name": "Lee", "username": "annlee"}
    assert await desk.customer_sends(tg.text_message(501, "Hi, do you ship to Lyon?",
                                                     **ann)) == 200  # type: ignore[arg-type]
    await desk.customer_sends(tg.text_message(501, "And how long does it take?",
                                              **ann))  # type: ignore[arg-type]
    await desk.settle()
    roots = desk.slack.roots(CHANNEL)
    assert len(roots) == 1
    card = roots[0]
    assert "Ann Lee" in str(card["blocks"]) and "@annlee" in str(card["blocks"])
    assert [b["type"] for b in card["blocks"]][-1] == "actions"
    replies = [m["text"] for m in desk.slack.thread(CHANNEL, card["ts"])[1:]]
    assert replies == ["Hi, do you ship to Lyon?", "And how long does it take?"]


async def test_a_second_customer_gets_a_new_thread(desk: Desk) -> None:
    await desk.customer_sends(tg.text_message(501, "one", first_name="Ann"))
    await desk.customer_sends(tg.text_message(502, "two", first_name="Bob"))
    await desk.settle()
    assert len(desk.slack.roots(CHANNEL)) == 2
    assert await desk.thread_of(501) != await desk.thread_of(502)


@pytest.mark.parametrize("desk", ["sqlite", "redis"], indirect=True)
async def test_simultaneous_first_messages_open_one_thread(desk: Desk) -> None:
    updates = [tg.text_message(777, f"part {i}") for i in range(5)]
    statuses = await asyncio.gather(*(desk.customer_sends(u) for u in updates))
    assert statuses == [200] * 5
    await desk.settle()
    assert len(desk.slack.roots(CHANNEL)) == 1
    thread = desk.slack.thread(CHANNEL, await desk.thread_of(777))
    assert sorted(m["text"] for m in thread[1:]) == sorted(f"part {i}" for i in range(5))


async def test_a_redelivered_update_is_relayed_once(desk: Desk) -> None:
    update = tg.text_message(501, "only once please")
    for _ in range(3):
        assert await desk.customer_sends(update) == 200
    await desk.settle()
    thread = desk.slack.thread(CHANNEL, await desk.thread_of(501))
    assert [m["text"] for m in thread[1:]] == ["only once please"]


async def test_customer_text_pings_no_one(desk: Desk) -> None:
    sneaky = "<!channel> <!here> <@U123> @channel @here <#C1|general> <!subteam^S1>"
    await desk.customer_sends(tg.text_message(501, sneaky, first_name="<!everyone>"))
    await desk.settle()
    for call in desk.slack.calls_to("chat.postMessage"):
        assert call.get("link_names") in (None, False, "0", 0)
        assert call.get("parse") in (None, "none")
        blob = str(call.get("text")) + str(call.get("blocks") or "")
        for mention in ("<!channel>", "<!here>", "<@U123>", "<!everyone>", "<#C1", "<!subteam"):
            assert mention not in blob
    reply = desk.slack.thread(CHANNEL, await desk.thread_of(501))[1]
    assert reply["text"].startswith("&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt;")


async def test_wrong_or_missing_webhook_secret_is_rejected(desk: Desk) -> None:
    assert await desk.customer_sends(tg.text_message(501, "x"), secret="wrong") == 401
    assert await desk.customer_sends(tg.text_message(501, "x"), secret=None) == 401
    assert await desk.conversation(501) is None


@pytest.mark.parametrize("token", ["sécret".encode(), b"scenario-webhook-secret\xff"],
                         ids=["utf-8", "not-utf-8"])
async def test_non_ascii_webhook_secret_is_401_without_an_error(
        desk: Desk, token: bytes, caplog: pytest.LogCaptureFixture) -> None:
    body = json.dumps(tg.text_message(501, "x")).encode()
    server = desk.http.server
    request = await RawRequest.open(str(server.host), int(server.port or 0),
                                    "/telegram/webhook", {SECRET_HEADER: token,
                                                          "Content-Type": b"application/json"},
                                    body=body)
    with caplog.at_level(logging.DEBUG):
        try:
            assert await request.status() == 401
        finally:
            await request.close()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert await desk.conversation(501) is None


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"update_id": "x"}', b"\xff\xfe", b""])
async def test_malformed_update_gets_400_and_stores_nothing(desk: Desk, body: bytes) -> None:
    response = await desk.http.post(
        "/telegram/webhook", data=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": "scenario-webhook-secret"})
    assert response.status == 400
    assert await desk.storage.list_conversations() == []


async def test_group_chats_are_ignored(desk: Desk) -> None:
    update = tg.text_message(501, "hello group")
    update["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "G"}
    assert await desk.customer_sends(update) == 200
    assert await desk.storage.list_conversations() == []


async def test_start_greets_in_the_customers_language(desk: Desk) -> None:
    await desk.customer_sends(tg.start_command(601, first_name="Jean", language_code="fr"))
    await desk.customer_sends(tg.start_command(602, first_name="Aiko", language_code="ja"))
    await desk.customer_sends(tg.start_command(603, first_name="Zed", language_code="de"))
    await desk.settle()
    assert desk.tg.texts(601)[0].startswith("Bonjour Jean")
    assert "こんにちは" in desk.tg.texts(602)[0]
    assert desk.tg.texts(603)[0].startswith("Hello, Zed")
    assert desk.slack.roots(CHANNEL) == []
