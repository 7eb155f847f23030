"""The SQLite connection: WAL, migrations, and one writer transaction at a time.

Every store operation is a plain function run whole on the connection, on the event-loop
thread. That is deliberate, and measured (``make bench``): an operation is 20–100 µs of
SQLite work, while handing it to a thread cost more than the work — a queue put, a thread
switch, a loop wake-up — and, once the loop was busy, the thread then waited for the GIL
for up to Python's 5 ms switch interval after every statement. With no fsync per commit
(WAL, ``synchronous=NORMAL``) and the checkpoints on a thread of their own
(:class:`Checkpointer`), nothing here waits on the disk; another process holding the
write lock is waited for (``busy_timeout``).

Write transactions asked for in the same loop turn are committed together (group commit,
:meth:`SqliteDb.tx`): under load a Slack reply's store write and the completions of the
jobs that finished meanwhile share one ``BEGIN IMMEDIATE`` … ``COMMIT``. Each keeps a
savepoint of its own, so one that raises is undone alone. Before each commit the file is
checked to still be the one opened (:class:`~storage.sqlite_file.StoreFile`, a ``stat``).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from bot.errors import StorageError
from storage.sqlite_file import StoreFile, make_room, record_store
from storage.sqlite_schema import MIGRATIONS
from storage.turns import Follower, Turn, settle

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], T]
Pending = Follower[Work[Any]]
Outcome = tuple[Any, Exception | None]  # a work's result, or the error it raised


def path_from_url(url: str) -> str:
    """``sqlite:///data/bot.sqlite3`` → ``data/bot.sqlite3``; ``sqlite:////abs`` → ``/abs``."""
    return url.removeprefix("sqlite:///")


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        # wal_autocheckpoint=0: the checkpoints run on the Checkpointer's thread instead
        for pragma in ("journal_mode=WAL", "busy_timeout=10000", "synchronous=NORMAL",
                       "wal_autocheckpoint=0"):
            conn.execute(f"PRAGMA {pragma}")
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def _reason(exc: OSError | sqlite3.Error) -> str:
    """``Not a directory: 'data/file'`` for an OSError, SQLite's own words otherwise."""
    if isinstance(exc, FileExistsError):  # from mkdir(exist_ok=True): it is not a folder
        return f"{exc.filename!r} is a file, not a folder"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename!r}" if exc.filename else exc.strerror
    return str(exc)


class Checkpointer(threading.Thread):
    """Copies the WAL into the database file, off the event loop, every ``interval`` s.

    SQLite would otherwise checkpoint inside whichever commit finds 1,000 pages in the WAL,
    and that commit (so the whole loop) stalled for milliseconds: ``make bench`` saw p95 at
    200 msg/s fall from ~30 ms to ~5 ms once they moved here. ``PASSIVE`` never waits for,
    nor blocks, a writer; the sqlite3 module lets go of the GIL while it works.
    """

    def __init__(self, path: str, interval: float = 0.5) -> None:
        super().__init__(name="sqlite-checkpoint", daemon=True)
        self.path, self.interval = path, interval
        self._finish = threading.Event()
        # Opened here, beside the store's own connection: by the time the thread runs,
        # the file may be gone (its directory deleted), and it must still find it.
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def run(self) -> None:
        conn = self._conn
        try:
            while not self._finish.wait(self.interval):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error as exc:  # busy or locked: the next round tries again
                    logging.getLogger("bot.storage").debug("checkpoint skipped: %s", exc)
        finally:
            conn.close()

    def stop(self) -> None:
        self._finish.set()
        self.join(timeout=5)


def _migrate(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        for statement in filter(str.strip, script.split(";")):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version={number}")


class SqliteDb:
    """One sqlite3 connection shared by the process.

    An operation runs to its end without yielding to the event loop (it yields once just
    before it starts), so operations of different coroutines never interleave on the
    connection, and one that has started cannot be cut short by a cancellation;
    ``BEGIN IMMEDIATE`` plus ``busy_timeout`` serialize writers across processes.
    """

    def __init__(self, conn: sqlite3.Connection, *, file: StoreFile | None = None) -> None:
        self.conn = conn
        self.file = file  # None in memory
        self._checkpointer: Checkpointer | None = None  # a file's, started by open()
        self._closed = False
        self._turn: Turn[Work[Any]] = Turn()  # this turn's write transactions

    @classmethod
    async def open(cls, path: str, *, sqlite_create: bool = False) -> SqliteDb:
        """:param sqlite_create: start on a new, empty file even where one is recorded to
            have been (else that is refused with a :class:`ConfigError`)
        :raises StorageError: the file cannot be created, opened or migrated"""
        in_memory = path == ":memory:"
        try:
            if not in_memory:
                make_room(path, sqlite_create=sqlite_create)  # ConfigError: a lost store
            conn = _connect(path)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open the SQLite database {path}: {_reason(exc)}") from exc
        db = cls(conn, file=None if in_memory else StoreFile(path))
        try:
            await db.tx(_migrate)
        except sqlite3.Error as exc:
            await db.close()
            raise StorageError(f"cannot set up the SQLite database {path}: {exc}") from exc
        except BaseException:
            await db.close()
            raise
        if not in_memory:
            record_store(path)
            db._checkpointer = Checkpointer(path)
            db._checkpointer.start()
        return db

    async def call(self, work: Work[T]) -> T:
        """Run ``work(conn)`` outside any transaction (reads)."""
        # One loop turn first: a long run of store calls (a sweep over hundreds of
        # conversations) must not hold up the webhooks and sends waiting meanwhile.
        await asyncio.sleep(0)
        if self._closed:
            raise sqlite3.ProgrammingError("the store is closed")
        return work(self.conn)

    async def tx(self, work: Work[T]) -> T:
        """Run ``work(conn)`` in a write transaction: all of it is kept, or none.

        The first ``tx`` of a loop turn leads: it lets the turn finish (as :meth:`call`
        does), then commits its work together with every ``tx`` asked for meanwhile (the
        followers), each of which gets its own result or error. Alone, it commits alone.
        """
        if (future := self._turn.join(work)) is not None:
            return cast(T, await future)
        waiting = await self._turn.lead(orphaned=self._commit)
        if not waiting and not self._closed:
            return _in_transaction(self.conn, work, self._check_file)
        mine: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._commit([(work, mine), *waiting])
        return mine.result()

    def _commit(self, followers: list[Pending]) -> None:
        """Commit the works together, each future getting its own outcome (once the store
        is closed, an error)."""
        outcomes = ([(None, sqlite3.ProgrammingError("the store is closed"))] * len(followers)
                    if self._closed else
                    _commit_together(self.conn, [work for work, _ in followers],
                                     self._check_file))
        for (_, future), outcome in zip(followers, outcomes, strict=True):
            settle(future, *outcome)

    def _check_file(self) -> None:
        if self.file is not None:
            self.file.check()

    async def fetchone(self, sql: str, args: Iterable[Any] = ()) -> sqlite3.Row | None:
        return await self.call(lambda conn: conn.execute(sql, tuple(args)).fetchone())

    async def fetchall(self, sql: str, args: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return await self.call(lambda conn: conn.execute(sql, tuple(args)).fetchall())

    async def write(self, sql: str, args: Iterable[Any] = ()) -> int:
        """One statement in its own transaction; :return: the rows it changed."""
        return await self.tx(lambda conn: conn.execute(sql, tuple(args)).rowcount)

    async def close(self) -> None:
        """Close the connection; closing twice is harmless. Later calls raise."""
        if not self._closed:
            self._closed = True
            if self._checkpointer is not None:
                self._checkpointer.stop()
            self.conn.close()  # the last connection out checkpoints what is left


def _in_transaction(conn: sqlite3.Connection, work: Work[T], check: Callable[[], None]) -> T:
    """``check`` runs last before the commit: raising, it undoes the work."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
        check()
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


def _commit_together(conn: sqlite3.Connection, works: list[Work[Any]],
                     check: Callable[[], None]) -> list[Outcome]:
    """Every work in one transaction, each in a savepoint of its own; ``check`` runs last
    before the commit, and raising, it fails them all."""
    outcomes: list[Outcome] = []
    try:
        conn.execute("BEGIN IMMEDIATE")
        for work in works:
            conn.execute("SAVEPOINT work")
            try:
                outcomes.append((work(conn), None))
            except Exception as exc:
                # e.g. a LookupError raised before anything was written: undo this work
                # alone (an error that ended the whole transaction makes ROLLBACK TO
                # fail, and so fails the batch below)
                conn.execute("ROLLBACK TO work")
                outcomes.append((None, exc))
            conn.execute("RELEASE work")
        check()
        conn.execute("COMMIT")
    except Exception as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return [(None, exc)] * len(works)
    return outcomes
