"""``python -m bench.profiled_bot PROFILE_PATH``: the real bot (``bot.__main__.serve``) with a
cProfile that SIGUSR1 starts and SIGUSR2 stops and writes, so start-up (imports, pydantic
schema building) stays out of the profile. Only the event-loop thread is profiled."""

from __future__ import annotations

import asyncio
import cProfile
import logging
import signal
import sys

from bot.__main__ import load_settings, read_environment, serve


async def profiled(path: str) -> None:
    profiler = cProfile.Profile()
    loop = asyncio.get_running_loop()

    def stop() -> None:
        profiler.disable()
        profiler.dump_stats(path)

    loop.add_signal_handler(signal.SIGUSR1, profiler.enable)
    loop.add_signal_handler(signal.SIGUSR2, stop)
    settings = load_settings(read_environment())
    logging.basicConfig(level=settings.log_level, stream=sys.stderr)
    await serve(settings)


if __name__ == "__main__":
    asyncio.run(profiled(sys.argv[1]))
