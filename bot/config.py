"""Frozen, typed settings read once from a mapping (the environment, plus .env)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from bot.channels import CHANNELS
from bot.billing.settings import BillingSettings, billing_from_env
from bot.channels.telegram.settings import TelegramSettings
from bot.env_reader import EnvReader, Secret
from bot.errors import ConfigError
from bot.inboxes import Inbox, channel_sections, default_inbox, is_slack_bot_token, load_inboxes
from bot.rendering import LANGUAGES
from storage.redis_url import SCHEMES as REDIS_SCHEMES
from storage.redis_url import masked, redis_options

T = TypeVar("T")
CRM_KINDS = ("builtin", "webhook")
LOG_FORMATS = ("text", "json")
_HOST_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                        r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
# Slack serves ``url_private`` / ``url_private_download`` from here.
SLACK_FILE_HOSTS = ("files.slack.com",)


class StorageUrl(str):
    """``STORAGE_URL``, whose repr shows where the store is but not its password."""

    def __repr__(self) -> str:
        return f"StorageUrl({masked(self)!r})"


@dataclass(frozen=True)
class SlackSettings:
    bot_token: Secret = Secret("")
    signing_secret: Secret = Secret("")
    app_token: Secret = Secret("")
    api_base: str = "https://slack.com/api/"
    channel: str = ""
    managers: tuple[str, ...] = ()
    operators: frozenset[str] = frozenset()
    command: str = "/leads"
    #: hosts a shared file is downloaded from with the bot token (besides ``api_base``)
    file_hosts: tuple[str, ...] = SLACK_FILE_HOSTS

    @property
    def enabled(self) -> bool:
        return bool(self.bot_token)

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)


@dataclass(frozen=True)
class CrmSettings:
    kind: str = "builtin"
    webhook_url: str = ""
    webhook_secret: Secret = Secret("")


@dataclass(frozen=True)
class Settings:
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    slack: SlackSettings = field(default_factory=SlackSettings)
    crm: CrmSettings = field(default_factory=CrmSettings)
    host: str = "0.0.0.0"
    port: int = 8080
    storage_url: str = StorageUrl("sqlite:///data/bot.sqlite3")
    sqlite_create: bool = False
    default_language: str = "en"
    log_level: str = "INFO"
    log_format: str = "text"
    max_body_bytes: int = 1024 * 1024
    slack_post_rate: float = 1.0
    slack_post_burst: float = 4.0
    outbox_lease: float = 60.0
    billing: BillingSettings = field(default_factory=BillingSettings)
    #: every inbox the process serves; empty: the default inbox the variables describe
    inbox_list: tuple[Inbox, ...] = ()

    @property
    def inboxes(self) -> tuple[Inbox, ...]:
        return self.inbox_list or (
            default_inbox(slack_channel=self.slack.channel, telegram=self.telegram),)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings, collecting every problem into one :class:`ConfigError`."""
        reader = EnvReader(env)
        from_env = {name: package.settings_from_env(reader)
                     for name, package in CHANNELS.items()}
        settings = cls(
            telegram=from_env["telegram"], slack=_slack(reader), crm=_crm(reader),
            billing=billing_from_env(reader),
            inbox_list=_inbox_file(reader, from_env),
            host=reader.convert("HOST", "0.0.0.0", _host),
            port=reader.convert("PORT", 8080, _port),
            storage_url=reader.convert("STORAGE_URL", StorageUrl("sqlite:///data/bot.sqlite3"),
                                       _storage_url),
            sqlite_create=reader.convert("SQLITE_CREATE", False, _flag),
            default_language=reader.convert("DEFAULT_LANGUAGE", "en", _language),
            log_level=reader.convert("LOG_LEVEL", "INFO", _log_level),
            log_format=reader.convert("LOG_FORMAT", "text", _log_format),
            max_body_bytes=reader.convert("MAX_BODY_BYTES", 1024 * 1024, _positive_int),
            slack_post_rate=reader.convert("SLACK_POST_RATE", 1.0, _positive_float),
            slack_post_burst=reader.convert("SLACK_POST_BURST", 4.0, _positive_float),
            outbox_lease=reader.convert("OUTBOX_LEASE_SECONDS", 60.0, _positive_float),
        )
        if reader.problems:
            raise ConfigError(reader.problems)
        return settings


def _whole_number(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a whole number") from None


def _port(raw: str) -> int:
    port = _whole_number(raw)
    if not 0 < port < 65536:
        raise ValueError(f"{raw!r} is not a TCP port (1-65535)")
    return port


def _positive_int(raw: str) -> int:
    value = _whole_number(raw)
    if value <= 0:
        raise ValueError(f"{raw!r} must be a positive whole number")
    return value


def _positive_float(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a number") from None
    if value <= 0:
        raise ValueError(f"{raw!r} must be above zero")
    return value


def _host(raw: str) -> str:
    """An IP address or a host name; whether it is this machine's is found out on binding."""
    try:
        ipaddress.ip_address(raw)
        return raw
    except ValueError:
        pass
    if raw.replace(".", "").isdigit():
        raise ValueError(f"{raw!r} is not a valid IPv4 address")
    if not _HOST_NAME.match(raw):
        raise ValueError(f"{raw!r} is neither an IP address nor a host name")
    return raw


def _language(raw: str) -> str:
    if raw.lower() not in LANGUAGES:
        raise ValueError(f"{raw!r} has no customer texts; use one of {', '.join(LANGUAGES)}")
    return raw.lower()


def _http_url(raw: str) -> bool:
    try:
        parts = urlsplit(raw)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a bad port or IPv6 literal
        return False


def _flag(raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{raw!r} is not one of 1, 0, true, false, yes, no, on, off")


def _storage_url(raw: str) -> StorageUrl:
    """The problems name the part of the URL that is wrong, never the URL (its password)."""
    scheme, separator, _ = raw.partition("://")
    if scheme in REDIS_SCHEMES:
        redis_options(raw)
    elif scheme == "sqlite":
        if not raw.startswith("sqlite:///"):
            raise ValueError("a SQLite URL is sqlite:/// then the file's path")
    else:
        known = f"scheme {scheme!r}" if separator else "URL with no scheme"
        raise ValueError(f"unknown {known}: use sqlite:///path, redis://host:port/db, "
                         "rediss://host:port/db or unix:///path/to/redis.sock?db=N")
    return StorageUrl(raw)


def _log_level(raw: str) -> str:
    if raw.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError(f"{raw!r} is not one of DEBUG, INFO, WARNING, ERROR")
    return raw.upper()


def _log_format(raw: str) -> str:
    if raw.lower() not in LOG_FORMATS:
        raise ValueError(f"{raw!r} is not one of {', '.join(LOG_FORMATS)}")
    return raw.lower()


def _ordered_ids(raw: str) -> tuple[str, ...]:
    ids = (part.strip() for part in raw.split(",") if part.strip())
    return tuple(dict.fromkeys(ids))


def _host_names(raw: str) -> tuple[str, ...]:
    hosts = _ordered_ids(raw.lower())
    if not hosts:
        raise ValueError("expected comma-separated host names, e.g. files.slack.com")
    for host in hosts:
        if not _HOST_NAME.match(host):
            raise ValueError(f"{host!r} is not a host name (no scheme, port or path)")
    return hosts


def _inbox_file(r: EnvReader, from_env: Mapping[str, Any]) -> tuple[Inbox, ...]:
    """The inboxes of ``INBOXES_FILE``; none when it is unset (the default inbox then)."""
    path = r.text("INBOXES_FILE")
    if not path:
        return ()
    return load_inboxes(path, env=r.env, problems=r.problems,
                        sections=channel_sections(from_env))


def _slack(r: EnvReader) -> SlackSettings:
    s = SlackSettings(
        bot_token=r.secret("SLACK_BOT_TOKEN"), signing_secret=r.secret("SLACK_SIGNING_SECRET"),
        app_token=r.secret("SLACK_APP_TOKEN"),
        api_base=r.text("SLACK_API_BASE", "https://slack.com/api/").rstrip("/") + "/",
        channel=r.text("SLACK_CHANNEL"), managers=_ordered_ids(r.text("SLACK_MANAGERS")),
        operators=frozenset(_ordered_ids(r.text("SLACK_OPERATORS"))),
        command="/" + r.text("SLACK_COMMAND", "/leads").lstrip("/"),
        file_hosts=r.convert("SLACK_FILE_HOSTS", SLACK_FILE_HOSTS, _host_names))
    r.require(not s.bot_token or is_slack_bot_token(s.bot_token),
              "SLACK_BOT_TOKEN: expected a bot token starting with xoxb-")
    r.require(not s.app_token or s.app_token.startswith("xapp-"),
              "SLACK_APP_TOKEN: expected an app-level token starting with xapp-")
    with_file = bool(r.text("INBOXES_FILE"))  # the file names each inbox's channel
    r.require(with_file or not s.enabled or bool(s.channel),
              "SLACK_CHANNEL: required when SLACK_BOT_TOKEN is set (the operators' channel id)")
    r.require(not with_file or s.enabled,
              "SLACK_BOT_TOKEN: required with INBOXES_FILE, whose inboxes post to Slack")
    r.require(not s.enabled or s.socket_mode or bool(s.signing_secret),
              "SLACK_SIGNING_SECRET: required in HTTP mode (set it, or SLACK_APP_TOKEN)")
    r.require(s.enabled or with_file or not (s.app_token or s.channel),
              "SLACK_BOT_TOKEN: required when SLACK_APP_TOKEN or SLACK_CHANNEL is set")
    return s


def _crm(r: EnvReader) -> CrmSettings:
    s = CrmSettings(kind=r.text("CRM", "builtin").lower(), webhook_url=r.text("CRM_WEBHOOK_URL"),
                    webhook_secret=r.secret("CRM_WEBHOOK_SECRET"))
    r.require(s.kind in CRM_KINDS, f"CRM: {s.kind!r} is not one of {', '.join(CRM_KINDS)}")
    r.require(s.kind != "webhook" or bool(s.webhook_url),
              "CRM_WEBHOOK_URL: required when CRM=webhook")
    # the URL itself is never echoed: a hook URL often carries its own secret
    r.require(not s.webhook_url or _http_url(s.webhook_url),
              "CRM_WEBHOOK_URL: must be an http:// or https:// URL with a host, "
              "e.g. https://hooks.example.com/leads")
    r.require(s.kind != "webhook" or bool(s.webhook_secret),
              "CRM_WEBHOOK_SECRET: required when CRM=webhook, so the receiver can check "
              "each request really comes from the bot")
    return s
