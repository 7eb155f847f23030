from __future__ import annotations

import subprocess
import sys

import pytest

from bot.config import Settings
from bot.errors import ConfigError


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
    from pathlib import Path

    return str(Path(__file__).resolve().parents[2])
