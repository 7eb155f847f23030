"""Which inbox a managers' command acts on: the one named by ``inbox=NAME``, else the one
whose Slack channel it was run in, else (``inbox=all``, or a channel no inbox owns) the
whole desk. With one inbox every command is desk-wide, as before inboxes existed."""

from __future__ import annotations

from collections.abc import Sequence

from bot.inboxes import Inbox
from bot.manager.parse import ALL_INBOXES


class InboxScopes:
    def __init__(self, inboxes: Sequence[Inbox] = ()) -> None:
        self.inboxes = tuple(inboxes)

    @property
    def several(self) -> tuple[Inbox, ...]:
        """Every inbox when the deployment has several; () with one."""
        return self.inboxes if len(self.inboxes) > 1 else ()

    def names(self) -> tuple[str, ...]:
        return tuple(inbox.name for inbox in self.inboxes)

    def is_unknown(self, requested: str | None) -> bool:
        return requested not in (None, ALL_INBOXES) and requested not in self.names()

    def select(self, requested: str | None, slack_channel: str) -> Inbox | None:
        """The inbox acted on; None: the whole desk."""
        if not self.several or requested == ALL_INBOXES:
            return None
        if requested is not None:
            return next(inbox for inbox in self.inboxes if inbox.name == requested)
        return next((inbox for inbox in self.inboxes if inbox.slack_channel == slack_channel),
                    None)
