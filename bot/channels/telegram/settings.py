"""The Telegram channel's settings: one bot account (token, webhook or long polling).

The default inbox's bot comes from ``TELEGRAM_*`` variables, every other inbox's from its
``[inboxes.NAME.telegram]`` table; both pass the same checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.env_reader import EnvReader, Secret, TableReader

DEFAULT_API_BASE = "https://api.telegram.org"
TABLE_KEYS = ("bot_token", "webhook_url", "webhook_secret")
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


@dataclass(frozen=True)
class _Names:
    """How problems name the settings: ``where`` + the key leads a problem, the bare keys
    are how a problem refers to the others."""

    token: str
    webhook_url: str
    webhook_secret: str
    where: str = ""

    def of(self, key: str) -> str:
        return f"{self.where}{key}"


_ENV_NAMES = _Names("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET")


def telegram_from_env(r: EnvReader) -> TelegramSettings:
    """The default inbox's bot, from ``TELEGRAM_*`` variables."""
    s = TelegramSettings(
        token=r.secret("TELEGRAM_BOT_TOKEN"),
        api_base=r.text("TELEGRAM_API_BASE", DEFAULT_API_BASE).rstrip("/"),
        webhook_url=r.text("TELEGRAM_WEBHOOK_URL"),
        webhook_secret=r.secret("TELEGRAM_WEBHOOK_SECRET"))
    r.require(not s.webhook_url or s.enabled,
              "TELEGRAM_WEBHOOK_URL is set but TELEGRAM_BOT_TOKEN is not")
    _check(s, _ENV_NAMES, r.require)
    return s


def telegram_from_table(t: TableReader, *, api_base: str) -> TelegramSettings:
    """An inbox's bot, from its ``[inboxes.NAME.telegram]`` table (a token is required there;
    ``api_base`` is the process-wide ``TELEGRAM_API_BASE``)."""
    t.refuse_unknown(TABLE_KEYS)
    s = TelegramSettings(
        token=t.secret("bot_token", required=True), api_base=api_base,
        webhook_url=t.text("webhook_url"), webhook_secret=t.secret("webhook_secret"))
    _check(s, _Names(*TABLE_KEYS, where=f"{t.where}."), t.require)
    return s


def _check(s: TelegramSettings, n: _Names, require: Callable[[bool, str], None]) -> None:
    require(not s.token or bool(_TOKEN.match(s.token)),
            f"{n.of(n.token)}: expected <digits>:<letters> as BotFather gives it")
    require(not s.webhook_secret or bool(_SECRET.match(s.webhook_secret)),
            f"{n.of(n.webhook_secret)}: 1-256 characters of A-Z, a-z, 0-9, _ and -")
    require(not s.webhook_url or bool(s.webhook_secret),
            f"{n.of(n.webhook_secret)}: required with {n.webhook_url}, so only Telegram "
            "can post updates")
    require(not s.webhook_url or s.webhook_url.startswith(("https://", "http://")),
            f"{n.of(n.webhook_url)}: must be an http(s) URL")
