"""LOG_FORMAT: validated like LOG_LEVEL; ``json`` writes one parseable object per record,
exception text included; the body-logging libraries' DEBUG records never pass."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest
import slack_sdk.web.async_internal_utils as slack_internals

import bot.outbox as bot_module
from bot.config import Settings
from bot.errors import ConfigError
from bot.logging_setup import LibraryDebugFilter, log_handler


def test_log_format_defaults_to_text_and_accepts_json_in_any_case() -> None:
    assert Settings.from_env({}).log_format == "text"
    assert Settings.from_env({"LOG_FORMAT": "JSON"}).log_format == "json"


def test_an_unknown_log_format_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"LOG_FORMAT": "xml"})
    assert caught.value.problems == ["LOG_FORMAT: 'xml' is not one of text, json"]


def _record(pathname: str, level: int = logging.DEBUG,
            exc_info: logging._SysExcInfoType | None = None) -> logging.LogRecord:
    return logging.LogRecord("bot.slack", level, pathname, 1, "a %s", ("message",), exc_info)


def test_json_lines_carry_the_exception_text_on_one_line() -> None:
    stream, handler = io.StringIO(), log_handler("json")
    handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        raise ValueError("first line\nsecond line")
    except ValueError:
        record = _record(bot_module.__file__, logging.ERROR, exc_info=sys.exc_info())
    handler.handle(record)
    (line,) = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "bot.slack"
    assert entry["message"] == "a message" and entry["time"].endswith("+00:00")
    assert "Traceback" in entry["exception"] and "second line" in entry["exception"]


def test_library_debug_records_are_dropped_whichever_logger_carries_them() -> None:
    keep = LibraryDebugFilter()
    assert not keep.filter(_record(slack_internals.__file__))
    assert keep.filter(_record(slack_internals.__file__, logging.INFO))
    assert keep.filter(_record(bot_module.__file__))
