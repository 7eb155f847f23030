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
from bot.app import build_app, log_disabled_parts
from bot.config import Settings
from bot.errors import BridgeError, ConfigError
from bot.rendering import Renderer


def read_environment(dotenv_path: str = ".env") -> dict[str, str]:
    """The process environment, with ``.env`` filling in what it does not set."""
    file_values = {k: v for k, v in dotenv_values(dotenv_path).items() if v is not None}
    return {**file_values, **os.environ}


def load_settings(env: Mapping[str, str]) -> Settings:
    try:
        return Settings.from_env(env)
    except ConfigError as exc:
        lines = "\n".join(f"  - {problem}" for problem in exc.problems)
        print(f"configuration error, the bot did not start:\n{lines}", file=sys.stderr)
        sys.exit(2)


async def serve(settings: Settings) -> None:
    bot_app = await build_app(settings)
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
        await web.TCPSite(runner, settings.host, settings.port).start()
        loggers.app.info("listening on http://%s:%d (healthz, metrics)", settings.host,
                         settings.port)
        await stop.wait()
        loggers.app.info("shutting down")
    finally:
        await runner.cleanup()
        await bot_app.stop()


def run_server(settings: Settings) -> int:
    try:
        asyncio.run(serve(settings))
    except BridgeError as exc:  # e.g. Socket Mode could not connect: say so, no traceback
        loggers.app.error("the bot could not start: %s", exc)
        return 1
    return 0


def print_usage() -> None:
    print(Renderer().render("cli/usage.txt"))


def main(argv: list[str]) -> int:
    if argv in (["--help"], ["-h"]):
        print_usage()
        return 0
    settings = load_settings(read_environment())
    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if argv[:2] == ["leads", "export"]:
        from bot.export import export_leads

        return asyncio.run(export_leads(settings, argv[2:], sys.stdout))
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
