"""The contract every customer channel implements."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from bot.models import DEFAULT_INBOX, Attachment, InboundMessage, OutboundFile

if TYPE_CHECKING:
    from bot.env_reader import EnvReader, TableReader
    from bot.inboxes import Inbox
    from bot.lifecycle.clock import Clock

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class SharedText:
    """A Slack message an operator shared into their reply."""

    name: str  # who wrote it; "" when unknown
    text: str  # Slack mrkdwn


@dataclass(frozen=True, slots=True)
class OperatorReply:
    """An operator's reply as Slack holds it; each channel renders it into its own format."""

    text: str  # Slack mrkdwn
    rich_text: Sequence[Mapping[str, Any]] = ()  # Slack ``rich_text`` blocks, when present
    shared: Sequence[SharedText] = ()
    operator: str = ""  # the first name shown before the reply; "" shows none
    user_names: Mapping[str, str] = field(default_factory=dict)  # Slack user id → name


class Channel(Protocol):
    """Send side of a customer channel. Every method raises
    :class:`bot.errors.RetryableError` or :class:`bot.errors.PermanentError` on failure."""

    name: ClassVar[str]
    #: the largest file the bot can fetch from this channel (bytes)
    max_download: ClassVar[int]

    def render(self, purpose: str, language: str, context: Mapping[str, Any]) -> str:
        """A customer text (``templates/customer/<purpose>.<language>.j2``) in this
        channel's format."""

    def render_reply(self, reply: OperatorReply, language: str) -> str:
        """An operator's reply in this channel's format; "" when it has nothing to show."""

    async def send_text(self, chat_id: str, text: str) -> str:
        """:param text: in this channel's format, as its ``render*`` methods make it
        :return: the channel's message id"""

    async def send_file(self, chat_id: str, file: OutboundFile, caption: str) -> str:
        """Send with the method that fits the file's kind. :return: the message id"""

    async def edit_text(self, chat_id: str, message_id: str, text: str) -> None: ...

    async def delete(self, chat_id: str, message_id: str) -> None: ...

    async def download(self, attachment: Attachment) -> bytes:
        """Fetch a customer's file; too large → PermanentError naming the limit."""


@dataclass(frozen=True, slots=True)
class FileRule:
    """Files of one kind a platform takes from a business: these formats, up to a size."""

    kind: str
    max_bytes: int
    formats: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a channel can do, and the rules its platform sets on a business's messages.

    :param text_format: what the channel renders messages into: ``html`` or ``plain``
    :param file_rules: the file kinds accepted and their limits; ``None``: any file up to
        ``max_upload``
    :param reply_window: how long after the customer's last message a business may still
        answer; ``None``: no window
    :param reply_quota: messages a business may send per customer message; ``None``: no quota
    """

    text_format: str
    edits: bool
    deletes: bool
    max_upload: int
    max_download: int
    file_rules: tuple[FileRule, ...] | None = None
    reply_window: timedelta | None = None
    reply_quota: int | None = None

    def policy_doc(self) -> dict[str, Any]:
        """The rules in the ``channel_policies`` form (``bot/policies.py``), so an inbox or
        the desk can override them key by key."""
        doc: dict[str, Any] = {}
        if self.reply_window is not None:
            doc["window"] = int(self.reply_window.total_seconds())
        if self.reply_quota is not None:
            doc["quota"] = self.reply_quota
        if self.file_rules is not None:
            doc["media"] = {rule.kind: {"max_mb": rule.max_bytes / MB,
                                        "formats": list(rule.formats)}
                            for rule in self.file_rules}
        return doc


class Component(Protocol):
    """A part with a start-up and a shutdown (a channel's runner, a workspace, a sweeper)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class InboundEvents(Protocol):
    """Where a channel hands what customers send (``ConversationEvents``)."""

    async def on_start(self, inbound: InboundMessage) -> None: ...

    async def on_customer_message(self, inbound: InboundMessage) -> None: ...

    async def on_customer_edit(self, inbound: InboundMessage) -> None: ...


@dataclass(frozen=True)
class ChannelServices:
    """The shared parts a channel package builds on."""

    events: InboundEvents
    clock: Clock
    #: takes a request body under the web app's limits and gives a handling slot
    #: (``bot.web.Admission``)
    admission: Any


@dataclass(frozen=True)
class Route:
    """A path a channel serves on the one web app: ``handler`` takes the web server's
    request and returns its response (the package's own business, not the core's)."""

    method: str
    path: str
    handler: Callable[[Any], Awaitable[Any]]


@dataclass
class ChannelParts:
    """What a channel package built for one inbox: the sender the outbox uses, parts to
    start and stop with the app, and routes for the web app."""

    sender: Channel
    components: list[Component] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)


class ChannelPackage(Protocol):
    """One customer channel as a plug-in: ``bot/channels/<name>/`` and a line in
    ``bot.channels.CHANNELS``."""

    @property
    def name(self) -> str:
        """The channel kind: ``ConversationKey.channel`` and the inbox file's section."""

    @property
    def capabilities(self) -> Capabilities: ...

    def settings_from_env(self, reader: EnvReader) -> Any:
        """The default inbox's account, read from the environment (problems go to
        ``reader``)."""

    def settings_from_table(self, table: TableReader, from_env: Any) -> Any:
        """An inbox's account, read from its ``[inboxes.NAME.<channel>]`` table (problems go
        to ``table``). :param from_env: what :meth:`settings_from_env` read, for the
        process-wide values (an API base) the table does not repeat"""

    def account(self, inbox: Inbox) -> Any | None:
        """The inbox's account settings on this channel; ``None``: the inbox has none. A
        channel with no field of its own on :class:`Inbox` finds what its
        :meth:`settings_from_table` read in ``inbox.accounts[name]``."""

    def build(self, inbox: Inbox, account: Any, services: ChannelServices) -> ChannelParts:
        """The sender, components and routes serving ``inbox`` through ``account``."""


def route_paths(kind: str, inbox: str, suffix: str = "") -> Sequence[str]:
    """``/KIND/INBOX{suffix}`` for every inbox, and the bare ``/KIND{suffix}`` for the
    default one (the path deployments used before inboxes existed)."""
    paths = [f"/{kind}/{inbox}{suffix}"]
    if inbox == DEFAULT_INBOX:
        paths.append(f"/{kind}{suffix}")
    return paths
