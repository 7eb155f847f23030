"""The SQLite store's file: still the one the bot opened, and never silently replaced.

Deleting the file (or its directory) under a running bot does not stop SQLite: it keeps
writing to the open, now nameless, file, and everything written is lost when the process
ends. :class:`StoreFile` notices (one ``stat`` per commit, a few µs) so the write fails.

And on the next start an empty store would take its place: :func:`refuse_lost_store` stops
that when a marker says a store was there before. One marker lies beside the file, the
other beside its directory, where deleting the directory does not take it along.
"""

from __future__ import annotations

import logging
import os
from contextlib import suppress
from pathlib import Path

from bot.errors import ConfigError, StoreLost

MARKER_NOTE = ("The bot kept its SQLite store {name} here. Should it go missing, the bot "
               "refuses to start on a new, empty one unless SQLITE_CREATE=1 is set.\n")


class StoreFile:
    """The database file as opened: its path, and the device and inode it had then."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.identity = _identity(path)
        self._reported = False

    def check(self) -> None:
        """Raise :class:`StoreLost` unless the path still names the file that was opened."""
        if _identity(self.path) == self.identity:
            return
        if not self._reported:
            self._reported = True
            logging.getLogger("bot.storage").error(
                "the SQLite file %s was deleted or replaced while the bot ran: every write "
                "fails from now on; restore the file and restart the bot", self.path)
        raise StoreLost("the database file was deleted or replaced")


def _identity(path: str) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def markers(path: str) -> list[Path]:
    """Where a store at ``path`` is recorded: beside it, and beside its directory."""
    file = Path(path).absolute()
    folder = file.parent
    beside_file = file.with_name(f"{file.name}.created")
    if folder.parent == folder:  # the file sits at the root: nothing is beside it
        return [beside_file]
    return [beside_file, folder.parent / f".{folder.name}.{file.name}.created"]


def make_room(path: str, *, sqlite_create: bool) -> None:
    """Ready ``path`` for opening: refuse a lost store (unless ``sqlite_create``), make
    the directory a first start needs."""
    if not sqlite_create:
        refuse_lost_store(path)
    Path(path).parent.mkdir(parents=True, exist_ok=True)


def refuse_lost_store(path: str) -> None:
    """Raise :class:`ConfigError` when no file is at ``path`` but a marker says one was."""
    if Path(path).exists():
        return
    for marker in markers(path):
        if marker.exists():
            problem = (f"STORAGE_URL: the SQLite store {path} is missing, but {marker} records"
                       " that it existed; restore it, or set SQLITE_CREATE=1 to start on a"
                       " new, empty one")
            raise ConfigError([problem])


def record_store(path: str) -> None:
    """Write the markers that are missing; one that cannot be written is done without
    (e.g. the directory's parent is not the bot's to write in)."""
    for marker in markers(path):
        if not marker.exists():
            with suppress(OSError):
                marker.write_text(MARKER_NOTE.format(name=Path(path).name))
