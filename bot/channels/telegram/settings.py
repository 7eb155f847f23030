"""The Telegram channel's settings: one bot account (token, webhook or long polling)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.env_reader import EnvReader, Secret

DEFAULT_API_BASE = "https://api.telegram.org"
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@dataclass(frozen=True)
class TelegramSettings:
    token: Secret = Secret("")
    api_base: str = DEFAULT_API_BASE
    webhook_url: str = ""
    webhook_secret: Secret = Secret("")

    @property
    def enabled(self) -> bool:
        return bool(self.token)


def telegram_from_env(r: EnvReader) -> TelegramSettings:
    """The default inbox's bot, from ``TELEGRAM_*`` variables."""
    s = TelegramSettings(
        token=r.secret("TELEGRAM_BOT_TOKEN"),
        api_base=r.text("TELEGRAM_API_BASE", DEFAULT_API_BASE).rstrip("/"),
        webhook_url=r.text("TELEGRAM_WEBHOOK_URL"),
        webhook_secret=r.secret("TELEGRAM_WEBHOOK_SECRET"))
    r.require(not s.token or bool(_TOKEN.match(s.token)),
              "TELEGRAM_BOT_TOKEN: expected <digits>:<letters> as BotFather gives it")
    r.require(not s.webhook_url or s.enabled,
              "TELEGRAM_WEBHOOK_URL is set but TELEGRAM_BOT_TOKEN is not")
    r.require(not s.webhook_secret or bool(_SECRET.match(s.webhook_secret)),
              "TELEGRAM_WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and -")
    r.require(not s.webhook_url or bool(s.webhook_secret),
              "TELEGRAM_WEBHOOK_SECRET: required with TELEGRAM_WEBHOOK_URL, so only Telegram "
              "can post updates")
    r.require(not s.webhook_url or s.webhook_url.startswith(("https://", "http://")),
              "TELEGRAM_WEBHOOK_URL: must be an http(s) URL")
    return s
