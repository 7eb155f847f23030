"""slack-bolt listeners: operators' thread messages in, conversation events out.

Registration is explicit: ``register_slack_handlers`` first, then every other feature's
listeners, then ``register_fallbacks`` last.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot import loggers
from bot.slack import parse
from bot.slack.deliveries import Delivery, SlackDeliveries
from bot.slack.events import OperatorEvents

Next = Callable[[], Awaitable[BoltResponse | None]]


def retry_number(request: AsyncBoltRequest) -> int:
    """Slack's ``X-Slack-Retry-Num`` (bolt maps Socket Mode's ``retry_attempt`` onto it)."""
    raw = request.headers.get("x-slack-retry-num", ["0"])[0]
    try:
        return max(int(raw), 0)
    except ValueError:
        return 0


def register_slack_handlers(
    app: AsyncApp, *, conversations: OperatorEvents, deliveries: SlackDeliveries
) -> None:
    """Global middleware, the operator-message listener and the error handler.

    Order: services go into the context before the dedupe check and any listener reads
    them; bolt's own middleware (signature, auth, ignore-self) have already run.
    """
    app.middleware(Inject(conversations=conversations))
    app.middleware(NoteRateLimit())
    app.middleware(SkipRepeats(deliveries))
    app.event("message")(operator_event)
    app.error(log_error)


def register_fallbacks(app: AsyncApp) -> None:
    """Ack whatever no listener took, so Slack gets 200 instead of bolt's 404 (which it
    would retry). Call this last: bolt runs the first matching listener, and the buttons
    (``conv_accept``, ``conv_decline``, ``lead_create``), modals and ``/leads`` listeners
    are registered by other features before this."""
    anything = re.compile(".*")
    app.event(anything)(ignore_event)
    for register in (app.action, app.view, app.view_closed, app.command, app.shortcut,
                     app.options):
        register(anything)(acknowledge)


class Inject(AsyncMiddleware):
    """Put ``services`` into the context; bolt then passes each to listeners by name.

    The global middleware here are ``AsyncMiddleware`` classes rather than functions:
    bolt builds a function's keyword arguments anew on every request (a dict of some
    thirty entries), a cost every Slack event paid once per middleware.
    """

    def __init__(self, **services: Any) -> None:
        self.services = services

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Next) -> BoltResponse | None:
        req.context.update(self.services)
        return await next()


class NoteRateLimit(AsyncMiddleware):
    """Slack's ``app_rate_limited`` notice has no event, so no listener can match it."""

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Next) -> BoltResponse | None:
        if req.body.get("type") != "app_rate_limited":
            return await next()
        loggers.slack.warning("Slack dropped events for minute %s: over 30,000 events/hour",
                              req.body.get("minute_rate_limited"))
        return BoltResponse(status=200, body="")


class SkipRepeats(AsyncMiddleware):
    """Ack a redelivered event that an earlier attempt processed (see ``Delivery``)."""

    def __init__(self, deliveries: SlackDeliveries) -> None:
        self.deliveries = deliveries

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Next) -> BoltResponse | None:
        delivery = self.deliveries.delivery(str(req.body.get("event_id") or ""),
                                            retry_number(req))
        if await delivery.is_repeat():
            return BoltResponse(status=200, body="")
        req.context["delivery"] = delivery
        return await next()


async def operator_event(
    event: dict[str, Any], conversations: OperatorEvents, delivery: Delivery
) -> None:
    """Every ``message`` event: thread replies, edits and deletions reach ConversationEvents;
    root messages, bot posts, joins and the like are acked and dropped."""
    if (message := parse.operator_message(event)) is not None:
        if await conversations.on_operator_message(delivery.recorded_with(message)):
            return  # stored, and the delivery recorded with it
    elif (edit := parse.edited(event)) is not None:
        await conversations.on_operator_edit(*edit, rich_text=parse.rich_text(event["message"]))
    elif (gone := parse.deleted(event)) is not None:
        await conversations.on_operator_delete(*gone)
    await delivery.processed()


async def ignore_event() -> None:
    """Events API requests are acked by bolt itself."""


async def acknowledge(ack: AsyncAck) -> None:
    await ack()


async def log_error(error: Exception, body: Mapping[str, Any]) -> None:
    """The one failure sink. Returning nothing keeps bolt's 500, so Slack redelivers."""
    loggers.slack.exception("Slack request failed: %s", describe(body), exc_info=error)


def describe(body: Mapping[str, Any]) -> str:
    """Ids that locate a request in Slack, and never its text."""
    event = body.get("event")
    event = event if isinstance(event, Mapping) else {}
    parts = {
        "event_id": body.get("event_id"), "type": body.get("type"),
        "event": event.get("type"), "subtype": event.get("subtype"),
        "channel": event.get("channel"), "ts": event.get("ts"),
        "command": body.get("command"),
    }
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)
