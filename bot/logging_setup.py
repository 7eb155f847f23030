"""How the process's log lines look (text, or one JSON object per line for log shippers),
and which libraries never log at DEBUG, because that is where they write whole request
and response bodies: customers' messages, emails and phone numbers."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from importlib.util import find_spec

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: At DEBUG slack_sdk logs every Web API request's JSON and every response, and its Socket
#: Mode client every frame; slack_bolt logs its response bodies. aiogram, aiohttp and
#: redis-py are held too: nothing they log at DEBUG is needed to run the bot.
BODY_LOGGING_LIBRARIES = ("slack_sdk", "slack_bolt", "aiogram", "aiohttp", "redis")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, and the
    exception's text when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(
                     timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name,
                 "message": record.getMessage()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


class LibraryDebugFilter(logging.Filter):
    """Drops the DEBUG records that the body-logging libraries' own code writes, whichever
    logger it writes them to: bolt and the Socket Mode client log through the logger they
    are handed (``bot.slack``), the Socket Mode one with every frame received."""

    def __init__(self) -> None:
        super().__init__()
        self.sources = tuple(_package_dirs(BODY_LOGGING_LIBRARIES))

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.INFO or not record.pathname.startswith(self.sources)


def _package_dirs(names: tuple[str, ...]) -> list[str]:
    found = (find_spec(name) for name in names)
    return [os.path.join(path, "") for spec in found if spec is not None
            for path in spec.submodule_search_locations or ()]


def log_handler(log_format: str) -> logging.Handler:
    """A handler writing to stderr in ``log_format`` (``text`` or ``json``), without the
    libraries' DEBUG records."""
    handler = logging.StreamHandler(sys.stderr)
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    handler.addFilter(LibraryDebugFilter())
    return handler


def keep_bodies_out_of_logs(log_level: str) -> None:
    """Hold the body-logging libraries at INFO or above, whatever ``LOG_LEVEL`` says."""
    floor = max(logging.INFO, logging.getLevelNamesMapping()[log_level])
    for name in BODY_LOGGING_LIBRARIES:
        logging.getLogger(name).setLevel(floor)
