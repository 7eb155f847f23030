from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import ConfigError
from bot.rendering import LANGUAGES


def test_no_variables_gives_a_working_default() -> None:
    s = Settings.from_env({})
    assert s.port == 8080 and s.host == "0.0.0.0"
    assert s.storage_url == "sqlite:///data/bot.sqlite3"
    assert not s.telegram.enabled and not s.slack.enabled and s.crm.kind == "builtin"


def test_full_configuration_is_read() -> None:
    s = Settings.from_env({
        "TELEGRAM_BOT_TOKEN": "42:abc_DEF", "TELEGRAM_API_BASE": "http://127.0.0.1:9/",
        "TELEGRAM_WEBHOOK_URL": "https://bot.example/telegram/webhook",
        "TELEGRAM_WEBHOOK_SECRET": "s3cr-et", "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "sig", "SLACK_CHANNEL": "C1", "SLACK_API_BASE": "http://h/api",
        "SLACK_MANAGERS": "U1, U2", "SLACK_OPERATORS": "U3", "PORT": "9000",
        "STORAGE_URL": "redis://localhost:6379/0"})
    assert s.telegram.api_base == "http://127.0.0.1:9"
    assert s.slack.api_base == "http://h/api/"
    assert s.slack.managers == ("U1", "U2") and s.slack.operators == {"U3"}
    assert s.port == 9000 and not s.slack.socket_mode


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"PORT": "http", "TELEGRAM_BOT_TOKEN": "nope", "CRM": "zoho",
                           "SLACK_BOT_TOKEN": "xoxb-1", "STORAGE_URL": "mysql://x"})
    text = "\n".join(caught.value.problems)
    for name in ("PORT", "TELEGRAM_BOT_TOKEN", "CRM", "SLACK_CHANNEL", "SLACK_SIGNING_SECRET",
                 "STORAGE_URL"):
        assert name in text
    assert len(caught.value.problems) == 6


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("yes", True), ("0", False),
                                              ("", False)])
def test_sqlite_create_is_a_flag(raw: str, expected: bool) -> None:
    assert Settings.from_env({"SQLITE_CREATE": raw}).sqlite_create is expected


def test_sqlite_create_refuses_what_is_not_a_flag() -> None:
    with pytest.raises(ConfigError, match="SQLITE_CREATE"):
        Settings.from_env({"SQLITE_CREATE": "please"})


def test_socket_mode_needs_no_signing_secret() -> None:
    s = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1",
                           "SLACK_CHANNEL": "C1"})
    assert s.slack.socket_mode


def test_secrets_never_show_in_repr() -> None:
    s = Settings.from_env({"TELEGRAM_BOT_TOKEN": "42:verysecret"})
    assert "verysecret" not in repr(s)


def test_misconfiguration_exits_2_with_one_message_and_no_traceback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"PATH": "/usr/bin:/bin", "PORT": "x", "CRM": "nope"}
    proc = subprocess.run([sys.executable, "-m", "bot"], cwd=str(tmp_path),
                          env={**env, "PYTHONPATH": str(_root())}, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert "PORT" in proc.stderr and "CRM" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(("url", "says"), [
    ("redis://:hunter2@redis.internal:63x9/0", "port"),
    ("redis://:hunter2@redis.internal/db3", "database number"),
    ("redis://:hunter2@redis.internal/3?db=4", "given twice"),
    ("redis://:hunter2@redis.internal/0?db=-1", "database number"),
    ("redis://:hunter2@redis.internal/0?timeout=3", "unknown option"),
    ("rediss://:hunter2@redis.internal/0?ssl_cert_reqs=maybe", "ssl_cert_reqs"),
    ("unix://:hunter2@var/run/redis.sock", "socket file"),
    ("mysql://root:hunter2@db.internal/bot", "unknown scheme"),
])
def test_a_storage_url_that_cannot_be_followed_is_refused_without_its_password(
        url: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"STORAGE_URL": url})
    [problem] = caught.value.problems
    assert problem.startswith("STORAGE_URL:") and says in problem
    assert "hunter2" not in problem


@pytest.mark.parametrize("url", [
    "redis://127.0.0.1:6379/3", "redis://desk:pw@redis.internal?db=3",
    "rediss://:pw@redis.internal:6380/1?ssl_cert_reqs=required",
    "unix:///run/redis/redis.sock?db=2", "unix://:pw@/run/redis/redis.sock",
])
def test_every_form_of_redis_url_is_taken(url: str) -> None:
    assert Settings.from_env({"STORAGE_URL": url}).storage_url == url


def test_the_storage_password_never_shows_in_repr() -> None:
    s = Settings.from_env({"STORAGE_URL": "redis://desk:hunter2@redis.internal:6379/3"})
    assert "hunter2" not in repr(s) and "redis://desk:***@redis.internal:6379/3" in repr(s)


def test_a_bad_storage_url_is_one_more_line_of_the_exit_2_message(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"PATH": "/usr/bin:/bin", "PORT": "x",
           "STORAGE_URL": "redis://:hunter2@redis.internal/db3"}
    proc = subprocess.run([sys.executable, "-m", "bot"], cwd=str(tmp_path),
                          env={**env, "PYTHONPATH": str(_root())}, capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "PORT" in proc.stderr and "STORAGE_URL" in proc.stderr
    assert "hunter2" not in proc.stderr and "Traceback" not in proc.stderr


def _root() -> str:
    return str(Path(__file__).resolve().parents[2])


@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1", "::", "::1", "localhost",
                                  "desk-1.internal.example"])
def test_host_takes_an_address_or_a_name(host: str) -> None:
    assert Settings.from_env({"HOST": host}).host == host


@pytest.mark.parametrize(("host", "problem"), [
    ("999.1.1.1", "HOST: '999.1.1.1' is not a valid IPv4 address"),
    ("10.0.0", "HOST: '10.0.0' is not a valid IPv4 address"),
    ("http://0.0.0.0", "HOST: 'http://0.0.0.0' is neither an IP address nor a host name"),
    ("0.0.0.0:8080", "HOST: '0.0.0.0:8080' is neither an IP address nor a host name"),
])
def test_a_malformed_host_is_refused(host: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"HOST": host})
    assert caught.value.problems == [problem]


@pytest.mark.parametrize("language", LANGUAGES)
def test_default_language_is_one_customer_texts_exist_in(language: str) -> None:
    assert Settings.from_env({"DEFAULT_LANGUAGE": language.upper()}).default_language == language


@pytest.mark.parametrize("language", ["de", "english", "fr-CA"])
def test_a_default_language_without_customer_texts_is_refused(language: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"DEFAULT_LANGUAGE": language})
    assert caught.value.problems == [
        f"DEFAULT_LANGUAGE: {language!r} has no customer texts; use one of en, fr, ja"]


def test_the_languages_offered_are_those_the_customer_templates_exist_in() -> None:
    folder = Path(__file__).resolve().parents[2] / "templates" / "customer"
    assert {name.split(".")[1] for name in os.listdir(folder)} == set(LANGUAGES)


def test_a_crm_webhook_url_is_read() -> None:
    s = Settings.from_env({"CRM": "webhook", "CRM_WEBHOOK_URL": "http://127.0.0.1:9/leads",
                           "CRM_WEBHOOK_SECRET": "k"})
    assert s.crm.webhook_url == "http://127.0.0.1:9/leads"


@pytest.mark.parametrize("url", ["hooks.example.com/leads", "ftp://hooks.example.com/leads",
                                 "https://", "https:///leads?token=s3cret",
                                 "https://hooks.example.com:99999/x", "https://[::1/x"])
def test_a_crm_webhook_url_must_be_http_with_a_host(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"CRM": "webhook", "CRM_WEBHOOK_URL": url, "CRM_WEBHOOK_SECRET": "k"})
    # never the URL itself: it may carry a secret
    assert caught.value.problems == [("CRM_WEBHOOK_URL: must be an http:// or https:// URL "
                                      "with a host, e.g. https://hooks.example.com/leads")]
