"""What the Slack listeners call. ``ConversationEvents`` and ``DeskActions`` implement it;
listeners depend on this only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bot.models import CardRef, LeadForm, LeadRequest, OperatorMessage


class OperatorEvents(Protocol):
    async def on_operator_message(self, message: OperatorMessage) -> bool:
        """A human wrote in a thread (reply, note or ``!command``). :return: True when the
        message was stored with its ``delivery_keys``."""

    async def on_operator_edit(self, slack_channel: str, ts: str, text: str,
                               rich_text: Sequence[Mapping[str, Any]] = ()) -> None:
        """A human edited a thread message (``rich_text``: its new rich text blocks)."""

    async def on_operator_delete(self, slack_channel: str, ts: str) -> None:
        """A human deleted a thread message."""


class CardActions(Protocol):
    """What the Slack interactive listeners (buttons, modals) call. Refusals and results
    are shown to the user by the implementation (ephemeral messages, card updates). Each
    call names the card it came from: one that is not its conversation's own card acts on
    nothing (the user is told)."""

    async def accept(self, card: CardRef, user: str) -> None: ...

    async def decline_form(self, card: CardRef, user: str) -> bool:
        """:return: whether to open the decline modal (else the user was told why)"""

    async def decline(self, card: CardRef, user: str, *, reason: str,
                      notify: bool) -> None: ...

    async def lead_form(self, card: CardRef, user: str) -> LeadForm | None:
        """:return: the modal's content, or None when refused (the user was told why)"""

    async def create_lead(self, card: CardRef, user: str,
                          request: LeadRequest) -> None: ...
