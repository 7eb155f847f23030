"""What an outage's log lines may say about the error: its type and first line, short,
never a token or a password."""

from __future__ import annotations

from bot.outage import REASON_LIMIT, short_reason

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"


def test_reason_is_the_type_and_the_first_line() -> None:
    reason = short_reason(ConnectionError("Error 111 connecting to 127.0.0.1:6379.\nmore"))
    assert reason == "ConnectionError: Error 111 connecting to 127.0.0.1:6379."


def test_tokens_and_url_credentials_are_masked() -> None:
    reason = short_reason(OSError(f"https://api.telegram.org/bot{TOKEN}/getUpdates failed; "
                                  "redis://:hunter2@cache:6379/0; xoxb-1234-5678-abcdEFGH"))
    assert TOKEN not in reason and "hunter2" not in reason and "xoxb-1234" not in reason
    assert "/bot***/getUpdates" in reason and "redis://***@cache" in reason


def test_long_reasons_are_cut() -> None:
    reason = short_reason(ValueError("x" * 1000))
    assert len(reason) <= len("ValueError: ") + REASON_LIMIT and reason.endswith("…")


def test_an_empty_message_leaves_the_type() -> None:
    assert short_reason(TimeoutError()) == "TimeoutError"
