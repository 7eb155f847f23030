"""``python -m bot``: the only place that reads the environment, sets up logging and exits."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
from collections.abc import Mapping

from aiohttp import web
from dotenv import dotenv_values

from bot import loggers
from bot.app import BotApp, build_app, log_disabled_parts, open_storage
from bot.config import Settings
from bot.errors import BridgeError, ConfigError
from bot.logging_setup import keep_bodies_out_of_logs, log_handler
from bot.rendering import Renderer
from bot.startup import Claimed, claim, close_sockets, listen


def read_environment(dotenv_path: str = ".env") -> dict[str, str]:
    """The process environment, with ``.env`` filling in what it does not set."""
    file_values = {k: v for k, v in dotenv_values(dotenv_path).items() if v is not None}
    return {**file_values, **os.environ}


def report_config_error(exc: ConfigError) -> int:
    """Say every problem on stderr; :return: the exit code for a configuration error"""
    lines = "\n".join(f"  - {problem}" for problem in exc.problems)
    print(f"configuration error, the bot did not start:\n{lines}", file=sys.stderr)
    return 2


def load_settings(env: Mapping[str, str]) -> Settings:
    try:
        return Settings.from_env(env)
    except ConfigError as exc:
        sys.exit(report_config_error(exc))


async def serve(settings: Settings) -> None:
    # first: a taken port or a bad path stops it cleanly
    claimed = await claim(settings, open_storage)
    bot_app = await build_on(settings, claimed)
    log_disabled_parts(settings)
    runner = web.AppRunner(bot_app.web, access_log=None, handle_signals=False)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await bot_app.start()
        # Everything built so far lives as long as the process: take it out of the cyclic
        # collector's sight, so a full collection under load walks only what requests made
        # (the libraries' ~200,000 objects make one take ~180 ms here).
        gc.collect()
        gc.freeze()
        await listen(runner, claimed.sockets, host=settings.host, port=settings.port)
        loggers.app.info("listening on http://%s:%d (healthz, metrics)", settings.host,
                         settings.port)
        await stop.wait()
        loggers.app.info("shutting down")
    finally:
        await runner.cleanup()
        close_sockets(claimed.sockets)  # those a failed listen() left unserved
        await bot_app.stop()


async def build_on(settings: Settings, claimed: Claimed) -> BotApp:
    try:
        return await build_app(settings, storage=claimed.storage)
    except BaseException:
        close_sockets(claimed.sockets)
        await claimed.storage.close()
        raise


def run_server(settings: Settings) -> int:
    try:
        asyncio.run(serve(settings))
    except ConfigError as exc:  # a taken port, an unusable or lost store
        return report_config_error(exc)
    except BridgeError as exc:  # e.g. Socket Mode could not connect: say so, no traceback
        loggers.app.error("the bot could not start: %s", exc)
        return 1
    return 0


def run_export(settings: Settings, argv: list[str]) -> int:
    from bot.export import BAD_FORMAT, export_format

    if (fmt := export_format(argv)) is None:
        print(BAD_FORMAT, file=sys.stderr)
        return 2
    try:
        asyncio.run(export_from_store(settings, fmt))
    except ConfigError as exc:  # found on opening the store
        return report_config_error(exc)
    return 0


async def export_from_store(settings: Settings, fmt: str) -> None:
    from bot.export import export_leads

    storage = await open_storage(settings)
    try:
        await export_leads(storage, fmt, sys.stdout)
    finally:
        await storage.close()


def print_usage() -> None:
    print(Renderer().render("cli/usage.txt"))


def main(argv: list[str]) -> int:
    if argv in (["--help"], ["-h"]):
        print_usage()
        return 0
    settings = load_settings(read_environment())
    logging.basicConfig(level=settings.log_level, handlers=[log_handler(settings.log_format)])
    keep_bodies_out_of_logs(settings.log_level)
    if argv[:2] == ["leads", "export"]:
        return run_export(settings, argv[2:])
    if argv:
        print(f"unknown command: {' '.join(argv)}\nusage: python -m bot "
              "[leads export --format csv|jsonl]", file=sys.stderr)
        return 2
    return run_server(settings)


def cli() -> int:
    """The ``operator-bot`` console script: the same as ``python -m bot``."""
    return main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(cli())
