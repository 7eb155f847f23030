"""Customers writing to the Telegram bot: each private message goes to ConversationEvents."""

from __future__ import annotations

from typing import Protocol

from aiogram import Router
from aiogram.filters import CommandStart
from aiogram.types import Message

from bot.channels.telegram.channel import TelegramChannel
from bot.models import InboundMessage


class CustomerEvents(Protocol):
    """What the customer handlers need from ConversationEvents."""

    async def on_start(self, inbound: InboundMessage) -> None: ...

    async def on_customer_message(self, inbound: InboundMessage) -> None: ...

    async def on_customer_edit(self, inbound: InboundMessage) -> None: ...


async def start(message: Message, conversations: CustomerEvents,
                telegram: TelegramChannel) -> None:
    if (inbound := telegram.to_inbound(message)) is not None:
        await conversations.on_start(inbound)


async def customer_message(message: Message, conversations: CustomerEvents,
                           telegram: TelegramChannel) -> None:
    if (inbound := telegram.to_inbound(message)) is not None:
        await conversations.on_customer_message(inbound)


async def customer_edit(message: Message, conversations: CustomerEvents,
                        telegram: TelegramChannel) -> None:
    if (inbound := telegram.to_inbound(message, edited=True)) is not None:
        await conversations.on_customer_edit(inbound)


async def private_chat(message: Message) -> bool:
    """A coroutine, not ``F.chat.type == "private"``: aiogram runs a plain function filter
    in a worker thread (``asyncio.to_thread``), a thread hop on every update."""
    return message.chat.type == "private"


def customer_router() -> Router:
    """``conversations`` and ``telegram`` come from the Dispatcher's workflow data."""
    router = Router(name="telegram_customer")
    router.message.filter(private_chat)
    router.edited_message.filter(private_chat)
    # /start first: the catch-all below would take it otherwise.
    router.message.register(start, CommandStart())
    router.message.register(customer_message)
    router.edited_message.register(customer_edit)
    return router
