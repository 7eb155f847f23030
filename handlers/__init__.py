"""Framework listeners. Registration is explicit: nothing registers on import."""

from __future__ import annotations

from aiogram import Router

from handlers.telegram_customer import customer_router


def setup_telegram_routers() -> Router:
    """The root router for the Dispatcher: ``dp.include_router(setup_telegram_routers())``."""
    root = Router(name="telegram")
    # Order matters: aiogram stops at the first router whose handler matches. Routers for
    # narrower audiences (operators' commands, group chats) go before the customer one.
    root.include_routers(customer_router())
    return root
