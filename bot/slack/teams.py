"""Which of the app's installations an event is for: the same Slack app may be installed in
several workspaces (an inbox's ``slack_bot_token``), each with its own bot token and bot
user, and events from all of them arrive signed with the app's one signing secret."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

from bot import loggers
from bot.slack.workspace import bot_identity

# bolt's own annotation has no None, though None ("not installed there") is what it expects
Authorize = Callable[..., Awaitable[Any]]


class Installations:
    """Learns each bot token's workspace (``auth.test``, once per token, only when an
    event from a workspace not met yet arrives) and answers bolt's ``authorize``."""

    def __init__(self, clients: Sequence[AsyncWebClient]) -> None:
        """:param clients: one per bot token, the app's own workspace first"""
        self._unknown = list(clients)
        self._by_team: dict[str, tuple[str, Mapping[str, Any]]] = {}
        self._own: tuple[str, Mapping[str, Any]] | None = None
        self._lock = asyncio.Lock()

    async def find(self, team_id: str | None, user_id: str | None) -> AuthorizeResult | None:
        """The installation in ``team_id`` (none given: the app's own workspace)."""
        async with self._lock:
            while (found := self._known(team_id)) is None and self._unknown:
                await self._learn(self._unknown[0])
                self._unknown.pop(0)
        if found is None:
            loggers.slack.warning("An event from workspace %s, where no bot token of this "
                                  "app is configured, was refused", team_id)
            return None
        token, identity = found
        return _result(token, identity, user_id)

    def authorize_function(self) -> Authorize:
        """bolt's ``authorize``: bolt passes what a function's parameters name."""
        async def authorize(enterprise_id: str | None, team_id: str | None,
                            user_id: str | None) -> AuthorizeResult | None:
            return await self.find(team_id, user_id)

        return authorize

    def _known(self, team_id: str | None) -> tuple[str, Mapping[str, Any]] | None:
        return self._own if team_id is None else self._by_team.get(team_id)

    async def _learn(self, client: AsyncWebClient) -> None:
        # A SlackApiError goes to bolt, which refuses the event as its own authorization
        # did before; the token is asked again with the next event.
        identity = await bot_identity(client)
        entry = (str(client.token), identity)
        self._by_team[str(identity["team_id"])] = entry
        self._own = self._own or entry


def _result(token: str, identity: Mapping[str, Any], user_id: str | None) -> AuthorizeResult:
    return AuthorizeResult(enterprise_id=identity["enterprise_id"], team_id=identity["team_id"],
                           bot_id=identity["bot_id"], bot_user_id=identity["user_id"],
                           bot_token=token, user_id=user_id)
