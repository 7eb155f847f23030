"""Outbox job handlers: the calls that actually move messages between Slack and channels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from bot import jobs
from bot.cards import CardBuilder
from bot.channels.base import Channel, OperatorReply, SharedText
from bot.errors import PermanentError
from bot.formatting import mentioned_user_ids
from bot.inbox_directory import InboxDirectory
from bot.models import (
    DEFAULT_INBOX,
    SHARED_MESSAGE,
    Attachment,
    Conversation,
    ConversationKey,
    Customer,
    Delivery,
    Job,
    Message,
    OutboundFile,
    Status,
)
from bot.outbox import Finish, Handler
from bot.preferences import preference
from bot.rendering import Renderer
from bot.rich_text import rich_text_user_ids
from bot.slack.workspace import SlackWorkspace
from storage.base import BaseStorage

T = TypeVar("T")
#: a sender's address: (inbox name, channel kind)
ChannelKey = tuple[str, str]

SLACK_FILE = "file"  # the kind of an operator's file (bot/slack/parse.py)
FILE_KINDS = {"photo", "document", "voice", "video", "video_note", "audio", "animation",
              "sticker", "file"}


def reopening(conv: Conversation, batch: list[Message]) -> bool:
    """A customer's message in a closed conversation reopens it (bot/lifecycle/activity.py,
    which may have run already): it is also sent to the channel so that it is seen."""
    reopener = conv.extra.get("reopened_by_message")
    return conv.status is Status.CLOSED or any(m.id == reopener for m in batch)


def _message_id(job: Job) -> int:
    return int(job.payload["message_id"])


def _stored(found: T | None) -> T:
    """What a job read about its message; a message deleted meanwhile fails it for good."""
    if found is None:
        raise PermanentError("the message is no longer stored", code="gone")
    return found


class DeliveryJobs:
    def __init__(self, *, storage: BaseStorage, renderer: Renderer,
                 workspace: SlackWorkspace | None, channels: dict[ChannelKey, Channel],
                 cards: CardBuilder, inboxes: InboxDirectory) -> None:
        """:param inboxes: where each conversation's thread goes (its inbox's channel)"""
        self.storage, self.renderer = storage, renderer
        self.workspace, self.channels = workspace, channels
        self.cards, self.inboxes = cards, inboxes

    def handlers(self) -> Mapping[str, Handler]:
        """The jobs this runs: Slack's with a workspace, the customers' with a channel."""
        served: dict[str, Handler] = {}
        if self.workspace is not None:
            served |= {jobs.RELAY_IN: self.relay_in, jobs.MIRROR_EDIT: self.mirror_edit,
                       jobs.NOTICE: self.notice, jobs.WHISPER: self.whisper,
                       jobs.REACT: self.react, jobs.REFRESH_CARD: self.refresh_card}
        if self.channels:
            served |= {jobs.SEND: self.send, jobs.EDIT: self.edit, jobs.DELETE: self.delete,
                       jobs.SEND_TEXT: self.send_text}
        return served

    @property
    def slack(self) -> SlackWorkspace:
        assert self.workspace is not None
        return self.workspace

    async def _load(self, job: Job) -> tuple[Message, Conversation]:
        return _stored(await self.storage.message_with_conversation(_message_id(job)))

    # -- customer → Slack --------------------------------------------------------------------
    async def relay_in(self, job: Job) -> Finish | None:
        msg, conv = await self._load(job)
        if not conv.has_thread:
            await self._open_thread(conv, job)
        batch = [msg]
        if msg.album_id:
            batch = [m for m in await self.storage.list_messages(conv.id)
                     if m.album_id == msg.album_id and not m.slack_ts]
        if all(m.slack_ts for m in batch):
            return None  # posted by an earlier run of this job
        ts = await self._post_once(job, conv, batch)
        for m in batch:
            m.slack_ts, m.delivery = ts or f"file:{m.id}", Delivery.DELIVERED
            m.slack_channel = conv.slack_channel
        return Finish(messages=batch)

    async def _open_thread(self, conv: Conversation, job: Job) -> None:
        channel = self.inboxes.slack_channel(conv)
        ts = await self._earlier_post(job, channel)
        if not ts:
            card = await self.cards.build(conv)
            ts = await self.slack.post(channel, text=card.text, blocks=card.blocks,
                                       job_id=job.id)
        conv.thread_ts, conv.slack_channel = ts, channel
        await self.storage.set_thread(conv.id, channel, ts)

    async def _earlier_post(self, job: Job, channel: str, thread_ts: str = "") -> str:
        """The crash window: a run of this job may have posted and died (or timed out)
        before recording it. The first run posts; a later run (``job.runs`` counts them,
        in the claim itself) looks for its post by the job id in the message metadata
        instead of posting twice."""
        if job.runs <= 1:
            return ""
        return await self.slack.find_post(channel, job.id, thread_ts)

    async def _post_customer_messages(self, conv: Conversation, batch: list[Message],
                                      job_id: int) -> str:
        notes: list[str] = []
        files = [f for m in batch for f in await self._fetch_files(conv, m, notes)]
        attachments = [a for m in batch for a in m.attachments if a.kind not in FILE_KINDS]
        if conv.status is Status.DECLINED:
            notes.append(self.renderer.render("slack/declined_flag.mrkdwn"))
        text = self.renderer.render(
            "slack/customer_message.mrkdwn", text="\n".join(m.text for m in batch if m.text),
            attachments=attachments, notes=notes, edited=any(m.edited for m in batch))
        broadcast, channel = reopening(conv, batch), self.inboxes.slack_channel(conv)
        if files:
            await self.slack.upload(channel, conv.thread_ts, files, text)
            if broadcast:  # an upload cannot be broadcast: tell the channel with a line
                await self.slack.post(channel, text=self.renderer.render("slack/reopened.mrkdwn"),
                                      thread_ts=conv.thread_ts, broadcast=True)
            return ""
        return await self.slack.post(channel, text=text or "…", thread_ts=conv.thread_ts,
                                     broadcast=broadcast, job_id=job_id)

    async def _post_once(self, job: Job, conv: Conversation, batch: list[Message]) -> str:
        return (await self._earlier_post(job, self.inboxes.slack_channel(conv), conv.thread_ts)
                or await self._post_customer_messages(conv, batch, job.id))

    async def _fetch_files(self, conv: Conversation, msg: Message,
                           notes: list[str]) -> list[OutboundFile]:
        channel = self.channels.get((conv.key.inbox, conv.key.channel))
        out = []
        for a in msg.attachments:
            if a.kind not in FILE_KINDS or channel is None:
                continue
            try:
                out.append(OutboundFile(a.name or a.kind, a.mime, await channel.download(a)))
            except PermanentError as exc:
                notes.append(self.renderer.render("slack/file_not_fetched.mrkdwn",
                                                  name=a.name or a.kind, reason=exc.reason))
        return out

    async def mirror_edit(self, job: Job) -> None:
        msg, conv = await self._load(job)
        if not msg.slack_ts or msg.slack_ts.startswith("file:"):
            return  # not posted yet (the relay_in job will post the new text) or a file post
        text = self.renderer.render(
            "slack/customer_message.mrkdwn", text=msg.text, notes=[], edited=True,
            attachments=[a for a in msg.attachments if a.kind not in FILE_KINDS])
        channel = msg.slack_channel or self.inboxes.slack_channel(conv)
        await self.slack.update(channel, msg.slack_ts, text=text)

    async def refresh_card(self, job: Job) -> None:
        conv = await self.storage.require_conversation(int(job.payload["conversation_id"]))
        if conv.has_thread:  # else the card is built fresh when the thread opens
            card = await self.cards.build(conv)
            await self.slack.update(self.inboxes.slack_channel(conv), conv.thread_ts,
                                    text=card.text, blocks=card.blocks)

    async def notice(self, job: Job) -> None:
        conv = await self.storage.require_conversation(int(job.payload["conversation_id"]))
        channel = self.inboxes.slack_channel(conv)
        if not await self._earlier_post(job, channel, conv.thread_ts):
            await self.slack.post(channel, text=job.payload["text"], thread_ts=conv.thread_ts,
                                  broadcast=bool(job.payload.get("broadcast")), job_id=job.id)

    async def whisper(self, job: Job) -> None:
        p = job.payload
        channel = p.get("channel") or self.inboxes.default_channel()  # older jobs: the desk's
        await self.slack.whisper(channel, p["user"], p["text"], p.get("thread_ts", ""))

    async def react(self, job: Job) -> None:
        if "slack_ts" not in job.payload:  # queued by an older version
            msg, _ = await self._load(job)
            job.payload.update(slack_ts=msg.slack_ts,
                               name=await preference(self.storage, "delivery_reaction"))
        if job.payload["name"]:
            channel = job.payload.get("channel") or await self._channel_of_message(job)
            await self.slack.react(channel, job.payload["slack_ts"], job.payload["name"])

    async def _channel_of_message(self, job: Job) -> str:
        """A reaction job queued by an earlier release names no channel: its message's."""
        msg, conv = await self._load(job)
        return msg.slack_channel or self.inboxes.slack_channel(conv)

    # -- Slack → customer ------------------------------------------------------------------------
    def _channel(self, key: ConversationKey) -> Channel:
        """The sender of the conversation's inbox on its channel: a reply never goes out
        through another inbox's account."""
        channel = self.channels.get((key.inbox, key.channel))
        if channel is None:
            where = "" if key.inbox == DEFAULT_INBOX else f" of inbox {key.inbox}"
            raise PermanentError(f"the {key.channel} channel{where} is not configured",
                                 code="no_channel")
        return channel

    async def _load_reply(self, job: Job) -> tuple[Message, Conversation, Customer | None]:
        return _stored(await self.storage.message_for_reply(_message_id(job)))

    async def _reply_text(self, msg: Message, customer: Customer | None,
                          channel: Channel) -> str:
        """The reply in the channel's format, or "" when it has nothing to show."""
        language = self.renderer.language_for(customer.language if customer else "")
        shared = [SharedText(a.name, str(a.details.get("text") or ""))
                  for a in msg.attachments if a.kind == SHARED_MESSAGE]
        if not (msg.rich_text or msg.text.strip() or any(s.text.strip() for s in shared)):
            return ""
        texts = [msg.text, *(s.text for s in shared)]
        names = await self.slack.display_names(msg.slack_channel, dict.fromkeys(
            rich_text_user_ids(msg.rich_text) + [u for t in texts for u in mentioned_user_ids(t)]))
        show_name = await preference(self.storage, "show_operator_name")
        # the reply's channel picks the workspace (a reply stored before channels were
        # recorded has none: the app's own workspace, the only one there was)
        operator = ((await self.slack.profile(msg.slack_channel, msg.author))["first"]
                    if show_name else "")
        return channel.render_reply(OperatorReply(
            msg.text, msg.rich_text, shared, operator=operator, user_names=names), language)

    async def send(self, job: Job) -> Finish | None:
        msg, conv, customer = await self._load_reply(job)
        if msg.channel_message_id or msg.deleted:
            return None  # sent by an earlier run, or deleted before it went out
        channel = self._channel(conv.key)
        text = await self._reply_text(msg, customer, channel)
        msg.channel_message_id, skipped = await self._send_to(channel, conv.key.chat_id, msg,
                                                              text)
        msg.delivery = Delivery.DELIVERED
        name = await preference(self.storage, "delivery_reaction")
        follow_ups = [jobs.react(conv, msg, name)] if name else []
        follow_ups += [jobs.notice(conv, self.renderer.render(
            "slack/file_not_sent.mrkdwn", name=file.name, reason=reason),
            f"file_not_sent:{msg.id}:{index}") for index, (file, reason) in enumerate(skipped)]
        return Finish(messages=[msg], jobs=follow_ups)

    async def _send_to(self, channel: Channel, chat_id: str, msg: Message,
                       text: str) -> tuple[str, list[tuple[Attachment, str]]]:
        """Send the reply's files (the text as the first one's caption), else its text.

        A file Slack will not give is skipped, with its reason, and the rest still goes;
        :return: the first sent message's id, and the skipped files
        """
        first_id, skipped = "", []
        for a in msg.attachments:
            if a.kind != SLACK_FILE:
                continue
            try:
                file = await self.slack.fetch_file(msg.slack_channel, a)
            except PermanentError as exc:
                skipped.append((a, exc.reason))
                continue
            sent = await channel.send_file(chat_id, file, "" if first_id else text)
            first_id = first_id or sent
        if not first_id and text:
            first_id = await channel.send_text(chat_id, text)
        if not first_id:
            reason = skipped[0][1] if skipped else "the reply has nothing a customer can be shown"
            raise PermanentError(reason, code="nothing_to_send")
        return first_id, skipped

    async def edit(self, job: Job) -> None:
        msg, conv, customer = await self._load_reply(job)
        if not msg.channel_message_id:
            return  # never reached the customer; nothing to edit
        channel = self._channel(conv.key)
        text = await self._reply_text(msg, customer, channel)
        if not text:
            raise PermanentError("the edit left nothing a customer can be shown",
                                 code="nothing_to_send")
        await channel.edit_text(conv.key.chat_id, msg.channel_message_id, text)

    async def delete(self, job: Job) -> None:
        msg, conv = await self._load(job)
        if msg.channel_message_id:
            await self._channel(conv.key).delete(conv.key.chat_id,
                                                         msg.channel_message_id)

    async def send_text(self, job: Job) -> None:
        p = job.payload
        # a job queued before inboxes existed names no inbox: it is the default one's
        key = ConversationKey(p["channel"], p["chat_id"], p.get("inbox", DEFAULT_INBOX))
        channel = self._channel(key)
        text = jobs.rendered_before(p)
        if text is None:
            text = channel.render(p["purpose"], p["language"], p["context"])
        await channel.send_text(key.chat_id, text)
