"""slack-bolt listener for the managers' slash command (``/leads`` unless SLACK_COMMAND says
otherwise).

bolt answers Slack only when a listener returns (``process_before_response``), so this
one acks at once: with the refusal or usage problem when the command is refused, else
empty, and the service answers through the command's ``response_url`` (up to 5 posts in
30 minutes; one is used). Not a bolt *lazy* listener on purpose: bolt deep-copies the
request context for those, and the context holds the services other listeners inject.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot import loggers
from bot.manager.commands import Parsed
from bot.manager.service import Answer, Caller, Reply


class ManagerCommands(Protocol):
    def screen(self, caller: Caller, text: str) -> Parsed | Answer: ...

    def answer_later(self, caller: Caller, parsed: Parsed, reply: Reply) -> None: ...


def register_manager_command(app: AsyncApp, *, manager: ManagerCommands, command: str) -> None:
    """Register before ``register_fallbacks``, whose catch-all would otherwise take it."""

    async def manager_command(ack: AsyncAck, body: Mapping[str, Any],
                              respond: AsyncRespond) -> None:
        caller = Caller(str(body.get("user_id", "")), str(body.get("channel_id", "")),
                        str(body.get("team_domain", "")))
        screened = manager.screen(caller, str(body.get("text") or ""))
        if isinstance(screened, Answer):
            await ack(text=screened.text, response_type="ephemeral")
            return
        await ack()
        manager.answer_later(caller, screened, reply_through(respond))

    app.command(command)(manager_command)


def reply_through(respond: AsyncRespond) -> Reply:
    async def reply(answer: Answer) -> None:
        sent = await respond(text=answer.text,
                             response_type="in_channel" if answer.public else "ephemeral")
        if sent.status_code != 200:
            loggers.slack.warning("response_url answered %s: %s", sent.status_code, sent.body)

    return reply
