from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.dispatcher.event.bases import UNHANDLED
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.channels.telegram.channel import TelegramChannel, build_bot
from bot.models import InboundMessage
from bot.web import ADMISSION, Admission
from handlers import setup_telegram_routers
from handlers.telegram_customer import CustomerEvents
from handlers.telegram_webhook import SECRET_HEADER, add_telegram_webhook
from tests.fakes import tg_updates as tg
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.support.raw_http import RawRequest

CHAT = 2002


class RecordingConversations:
    def __init__(self) -> None:
        self.events: list[tuple[str, InboundMessage]] = []

    async def on_start(self, inbound: InboundMessage) -> None:
        self.events.append(("start", inbound))

    async def on_customer_message(self, inbound: InboundMessage) -> None:
        self.events.append(("message", inbound))

    async def on_customer_edit(self, inbound: InboundMessage) -> None:
        self.events.append(("edit", inbound))


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI() as api:
        yield api


@pytest.fixture
async def bot(fake: FakeTelegramAPI) -> AsyncIterator[Bot]:
    bot = build_bot("42:TEST", fake.url)
    yield bot
    await bot.session.close()


@pytest.fixture
def conversations() -> RecordingConversations:
    return RecordingConversations()


@pytest.fixture
def dp(bot: Bot, conversations: RecordingConversations) -> Dispatcher:
    events: CustomerEvents = conversations  # the recorder satisfies the protocol the handlers use
    dispatcher = Dispatcher(conversations=events, telegram=TelegramChannel(bot))
    dispatcher.include_router(setup_telegram_routers())
    return dispatcher


async def feed(dp: Dispatcher, bot: Bot, update: dict[str, Any]) -> Any:
    return await dp.feed_raw_update(bot, update)


@pytest.mark.parametrize("payload", [None, "promo42"])
async def test_start_goes_to_on_start(dp: Dispatcher, bot: Bot, conversations: RecordingConversations,
                                      fake: FakeTelegramAPI, payload: str | None) -> None:
    await feed(dp, bot, tg.start_command(CHAT, payload, message_id=3))
    [(event, inbound)] = conversations.events
    assert event == "start"
    assert inbound.text == (f"/start {payload}" if payload else "/start")
    assert inbound.event_key == f"telegram:{CHAT}:3"
    assert sum(fake.attempts.values()) == 0  # handlers never call Telegram themselves


async def test_text_goes_to_on_customer_message(dp: Dispatcher, bot: Bot,
                                                conversations: RecordingConversations) -> None:
    await feed(dp, bot, tg.text_message(CHAT, "Where is my order?", first_name="Ann"))
    [(event, inbound)] = conversations.events
    assert (event, inbound.text, inbound.customer.name) == ("message", "Where is my order?",
                                                            "Ann")


async def test_other_commands_are_ordinary_messages(dp: Dispatcher, bot: Bot,
                                                    conversations: RecordingConversations) -> None:
    await feed(dp, bot, tg.text_message(CHAT, "/help"))
    assert [event for event, _ in conversations.events] == ["message"]


async def test_photo_goes_to_on_customer_message(dp: Dispatcher, bot: Bot,
                                                 conversations: RecordingConversations) -> None:
    await feed(dp, bot, tg.photo_message(CHAT, caption="broken", file_id="PH1", message_id=8))
    [(event, inbound)] = conversations.events
    assert (event, inbound.text) == ("message", "broken")
    [attachment] = inbound.attachments
    assert (attachment.kind, attachment.ref, attachment.name) == ("photo", "PH1", "photo_8.jpg")


async def test_edit_goes_to_on_customer_edit(dp: Dispatcher, bot: Bot,
                                             conversations: RecordingConversations) -> None:
    update = tg.edited_text_message(CHAT, "typo fixed", message_id=4, date=1_700_000_000,
                                    edit_date=1_700_000_030)
    await feed(dp, bot, update)
    [(event, inbound)] = conversations.events
    assert (event, inbound.text) == ("edit", "typo fixed")
    assert inbound.event_key == f"telegram:{CHAT}:4:edit:1700000030"


def _in_group(update: dict[str, Any], key: str) -> dict[str, Any]:
    update[key]["chat"] = {"id": -100777, "type": "supergroup", "title": "Team"}
    return update


@pytest.mark.parametrize("update", [
    _in_group(tg.text_message(CHAT, "hi all"), "message"),
    _in_group(tg.start_command(CHAT), "message"),
    _in_group(tg.edited_text_message(CHAT, "edited"), "edited_message"),
    {"update_id": 1, "channel_post": {"message_id": 1, "date": 1_700_000_000, "text": "news",
                                      "chat": {"id": -100888, "type": "channel", "title": "C"}}},
])
async def test_non_private_updates_reach_nothing(dp: Dispatcher, bot: Bot,
                                                 conversations: RecordingConversations,
                                                 update: dict[str, Any]) -> None:
    assert await feed(dp, bot, update) is UNHANDLED
    assert conversations.events == []


async def test_unsupported_content_still_reaches_operators(dp: Dispatcher, bot: Bot,
                                                           conversations: RecordingConversations) -> None:
    update = tg.text_message(CHAT, "")
    del update["message"]["text"]
    update["message"]["dice"] = {"emoji": "🎲", "value": 6}
    await feed(dp, bot, update)
    [(event, inbound)] = conversations.events
    assert event == "message"
    assert [(a.kind, dict(a.details)) for a in inbound.attachments] == [
        ("unsupported", {"type": "dice"})]


def test_routers_can_be_built_more_than_once() -> None:
    # Nothing registers at import time, so two dispatchers (or two tests) never share state.
    first, second = setup_telegram_routers(), setup_telegram_routers()
    assert first is not second


# -- the webhook route: refused before the body, or for a body too slow ------------------------

Client = TestClient[web.Request, web.Application]
PROMPT = 3.0  # a guard on a hang: these answers come without waiting for any body
SECRET = "webhook-secret"


@pytest.fixture
async def webhook(dp: Dispatcher, bot: Bot,
                  aiohttp_client: Callable[[web.Application], Awaitable[Client]]
                  ) -> Client:
    app = web.Application()
    app[ADMISSION] = Admission(limit=1, body_seconds=0.2)
    add_telegram_webhook(app, dispatcher=dp, bot=bot, secret=SECRET)
    return await aiohttp_client(app)


async def unfinished_update(client: Client, secret: bytes | None) -> int:
    """The status of a POST whose body is announced and never sent in full."""
    headers = {"Content-Type": b"application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    request = await RawRequest.open(str(client.server.host), int(client.server.port or 0),
                                    "/telegram/webhook", headers, body=b'{"update_id":',
                                    announced=4096)
    try:
        return await asyncio.wait_for(request.status(), PROMPT)
    finally:
        await request.close()


@pytest.mark.parametrize("secret", [None, b"guess", b"webhook-secre\xff"],
                         ids=["missing", "wrong", "non-ascii"])
async def test_a_wrong_secret_is_401_before_the_body_is_read(
        webhook: Client, conversations: RecordingConversations, secret: bytes | None) -> None:
    assert await unfinished_update(webhook, secret) == 401
    assert conversations.events == []


async def test_a_body_slower_than_the_bound_is_408_and_holds_no_slot(
        webhook: Client, conversations: RecordingConversations) -> None:
    slow = [unfinished_update(webhook, SECRET.encode()) for _ in range(3)]
    assert await asyncio.gather(*slow) == [408] * 3
    async with asyncio.timeout(PROMPT):
        response = await webhook.post("/telegram/webhook", json=tg.text_message(CHAT, "hi"),
                                      headers={SECRET_HEADER: SECRET})
    assert response.status == 200
    assert [(kind, inbound.text) for kind, inbound in conversations.events] == [("message", "hi")]
