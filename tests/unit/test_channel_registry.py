"""The channel registry, channels' capabilities, and how channel policies are layered:
the channel's own rules, then the inbox's overrides, then the desk's preference."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram.types import Message

from bot.channels import CHANNELS, capabilities_by_kind
from bot.channels.platform_rules import WECHAT
from bot.channels.telegram.channel import TelegramChannel, build_bot
from bot.channels.telegram.settings import TelegramSettings
from bot.env_reader import EnvReader, Secret
from bot.inboxes import Inbox
from bot.lifecycle.clock import SystemClock
from bot.metrics import Metrics
from bot.models import ConversationKey
from bot.outbox import Outbox
from bot.policies import MB, NO_POLICY, ChannelPolicy, MediaRule, channel_policy
from bot.policy_guard import PolicyGuard
from bot.preferences import set_preference
from bot.rendering import Renderer
from storage.sqlite import SqliteStorage
from tests.fakes import tg_updates as tg

H = timedelta(hours=1)


def test_telegram_is_registered_under_its_channel_kind() -> None:
    assert CHANNELS["telegram"].name == "telegram"
    telegram = CHANNELS["telegram"].capabilities
    assert (telegram.text_format, telegram.edits, telegram.deletes) == ("html", True, True)
    assert (telegram.max_upload, telegram.max_download) == (50 * MB, 20 * MB)
    # no reply window, no quota, any file: Telegram sets no rule on a business's replies
    assert telegram.policy_doc() == {}


def test_the_package_reads_the_default_inbox_bot_from_the_environment() -> None:
    reader = EnvReader({"TELEGRAM_BOT_TOKEN": "42:ABC", "TELEGRAM_API_BASE": "http://x/"})
    account = CHANNELS["telegram"].settings_from_env(reader)
    assert account == TelegramSettings(token=Secret("42:ABC"), api_base="http://x")
    assert reader.problems == []


def test_an_inbox_without_a_bot_has_no_telegram_account() -> None:
    bot = TelegramSettings(token=Secret("42:ABC"))
    telegram = CHANNELS["telegram"]
    assert telegram.account(Inbox("acme", slack_channel="C1", telegram=bot)) == bot
    assert telegram.account(Inbox("zen", slack_channel="C1")) is None
    assert telegram.account(Inbox("off", slack_channel="C1", telegram=TelegramSettings())) is None


def test_wechat_rules_wait_for_their_package_unchanged() -> None:
    # the rules the desk applied to WeChat before capabilities existed
    before = {"window": "48h", "quota": 5, "media": {
        "image": {"max_mb": 10, "formats": ["jpeg", "jpg", "png"]},
        "voice": {"max_mb": 2, "formats": ["amr", "mp3"]},
        "video": {"max_mb": 10, "formats": ["mp4"]}}}
    assert capabilities_by_kind()["wechat"] is WECHAT
    assert channel_policy(WECHAT.policy_doc()) == channel_policy(before)
    assert "wechat" not in CHANNELS  # rule data only: no WeChat channel is served


@pytest.mark.parametrize(("inbox", "chat_key", "event_key"), [
    ("default", ConversationKey("telegram", "555"), "telegram:555:7"),
    ("acme", ConversationKey("telegram", "555", "acme"), "acme/telegram:555:7"),
])
async def test_a_bot_files_its_customers_under_its_inbox(inbox: str, chat_key: ConversationKey,
                                                         event_key: str) -> None:
    bot = build_bot("42:TEST", "http://127.0.0.1:9")
    try:
        update = tg.text_message(555, "hi", message_id=7)
        message = Message.model_validate(update["message"], context={"bot": bot})
        inbound = TelegramChannel(bot, inbox=inbox).to_inbound(message)
    finally:
        await bot.session.close()
    assert inbound is not None
    assert inbound.key == chat_key and inbound.event_key == event_key


# -- policy layers ---------------------------------------------------------------------------

@pytest.fixture
async def guard(tmp_path: Path) -> AsyncIterator[PolicyGuard]:
    storage = await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    clock = SystemClock()
    outbox = Outbox(storage, clock=clock, metrics=Metrics())
    inbox_rules: dict[str, dict[str, Any]] = {
        "acme": {"wechat": {"quota": 2}, "telegram": {"window": "24h"}},
        "zen": {"wechat": None},
    }
    yield PolicyGuard(storage=storage, outbox=outbox, renderer=Renderer(), clock=clock,
                      channel_rules={"wechat": WECHAT.policy_doc()}, inbox_rules=inbox_rules)
    await storage.close()


def wechat(inbox: str) -> ConversationKey:
    return ConversationKey("wechat", "o1", inbox)


WECHAT_MEDIA = channel_policy(WECHAT.policy_doc()).media


async def test_an_inbox_overrides_the_channel_rules_key_by_key(guard: PolicyGuard) -> None:
    assert await guard.policy_for(wechat("default")) == ChannelPolicy(48 * H, 5, WECHAT_MEDIA)
    assert await guard.policy_for(wechat("acme")) == ChannelPolicy(48 * H, 2, WECHAT_MEDIA)
    assert await guard.policy_for(ConversationKey("telegram", "1", "acme")) == ChannelPolicy(24 * H)
    assert await guard.policy_for(ConversationKey("telegram", "1")) == NO_POLICY
    assert await guard.policy_for(wechat("zen")) == NO_POLICY  # None lifts the rules


async def test_a_broken_inbox_override_keeps_the_channel_rules(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    storage = await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    try:
        with caplog.at_level(logging.WARNING):
            guard = PolicyGuard(storage=storage, outbox=Outbox(storage, clock=SystemClock(),
                                                               metrics=Metrics()),
                                renderer=Renderer(), clock=SystemClock(),
                                channel_rules={"wechat": WECHAT.policy_doc()},
                                inbox_rules={"broken": {"wechat": {"quota": 0}}})
        assert await guard.policy_for(wechat("broken")) == ChannelPolicy(48 * H, 5, WECHAT_MEDIA)
    finally:
        await storage.close()
    assert "inbox broken" in caplog.text and "wechat: quota" in caplog.text


async def test_the_desk_preference_applies_over_every_inbox(guard: PolicyGuard) -> None:
    await set_preference(guard.storage, "channel_policies",
                         {"wechat": {"window": "24h", "media": {
                             "image": {"max_mb": 1, "formats": ["png"]}}}})
    png_only = (MediaRule("image", 1 * MB, ("png",)),)
    assert await guard.policy_for(wechat("default")) == ChannelPolicy(24 * H, 5, png_only)
    assert await guard.policy_for(wechat("acme")) == ChannelPolicy(24 * H, 2, png_only)
    # an inbox that lifted the rules gets only what the desk sets
    assert await guard.policy_for(wechat("zen")) == ChannelPolicy(24 * H, None, png_only)
