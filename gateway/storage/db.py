"""Database engines: SQLite (embedded default) or PostgreSQL (for scale).

The engine is created inside the app's cleanup context, never at import time.
SQLite gets WAL, foreign keys and a busy timeout on every connection so that
several tasks (and the CLI next to a running server) can share the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import sqlalchemy
import structlog
from sqlalchemy import Connection, Dialect, Engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolResetState
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.util import greenlet_spawn

# One implementation each, shared with the consent stores.
from consent import SQLITE_BUSY_TIMEOUT_MS, begin_write, sqlite_write_turn
from gateway.storage.files import private_sqlite_file

__all__ = [
    "CompiledSql",
    "WriteRunner",
    "asyncpg_sql",
    "begin_write",
    "create_engine",
    "dispose",
    "sqlite_time",
    "write_runner",
]

T = TypeVar("T")

log = structlog.get_logger("gateway.storage.db")

_CHECKPOINT_EVERY = 200  # loop-thread transactions between WAL checkpoints


def create_engine(database_url: str, *, pool_size: int = 20) -> AsyncEngine:
    """An async engine for `database_url` with the settings each backend needs.

    Before each SQLite connection the file is created 0600 (or tightened to it),
    `gateway.storage.files`: SQLite would create it 0644, and its `-wal`/`-shm` take its mode.
    """
    if database_url.startswith("sqlite"):
        engine = create_async_engine(
            database_url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_reset_on_return=None,  # `_sqlite_reset` decides instead
        )
        event.listen(engine.sync_engine, "do_connect", _private_file(database_url))
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine.pool, "reset", _sqlite_reset)
        return engine
    # No pool_pre_ping: it costs a round trip on every checkout (measured: +0.5 ms per
    # request). After a PostgreSQL restart a stale connection fails one request with a
    # 503 (fail closed) and SQLAlchemy invalidates the pool on that disconnect.
    return create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
    )


class WriteRunner:
    """Runs the hot path's write transactions (replay cache, audit appends) for one engine.

    A transaction is a plain function on a synchronous `Connection`; it may run more
    than once (it must act only through the connection), so it can be retried.

    On a SQLite file it runs on the event loop's own thread, on a connection kept for
    it: a batch transaction takes a fraction of a millisecond, far less than handing
    each statement to a driver thread and back (and waiting for the GIL in between).
    It never blocks the loop on a lock: its busy timeout is zero, so if another
    connection holds the write lock it rolls back, yields with a short growing sleep
    and retries, up to the usual busy timeout. Its WAL checkpoints (which fsync) run
    on a worker thread instead of inside a commit.

    There a caller may also give the transaction for the `sqlite3` connection itself
    (`on_sqlite`): the runner keeps one, takes the write lock with `BEGIN IMMEDIATE`
    and the transaction runs pre-built tuples through prepared statements, without
    SQLAlchemy's per-execution work (about half of a small batch's cost).

    On PostgreSQL, which locks rows, it runs on a pooled connection, concurrently
    with other transactions: on the asyncpg driver when the caller also gives the
    transaction in that form (`on_asyncpg`), else with `AsyncConnection.run_sync`.
    With `asyncpg_transaction=False` the runner opens no transaction around
    `on_asyncpg`: it is one atomic statement, or opens its own.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = weakref.ref(engine)
        self._sync: Engine | None = None
        self._path = ""
        self._commits = 0
        self._checkpointing = False
        self._raw: sqlite3.Connection | None = None
        self._url = str(engine.url)
        url = engine.url
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            self._path = str(url.database)
            self._sync = sqlalchemy.create_engine(
                url.set(drivername="sqlite+pysqlite"),
                connect_args={"timeout": 0, "check_same_thread": False},
                pool_size=1,
                max_overflow=0,
            )
            event.listen(self._sync, "do_connect", _private_file(str(url)))
            event.listen(self._sync, "connect", _sqlite_pragmas)
            event.listen(self._sync, "connect", _sqlite_inline_pragmas)

    async def run(
        self,
        transaction: Callable[[Connection], T],
        *,
        on_asyncpg: Callable[[Any], Awaitable[T]] | None = None,
        on_sqlite: Callable[[sqlite3.Connection], T] | None = None,
        asyncpg_transaction: bool = True,
    ) -> T:
        """`transaction(conn)` inside BEGIN ... COMMIT (ROLLBACK if it raises).

        `on_asyncpg`, the same transaction written for the asyncpg driver, is used
        instead on PostgreSQL: statements compiled once (`asyncpg_sql`) and run on the
        driver skip SQLAlchemy's per-execution work, which on small machines costs more
        than the round trip itself.
        """
        engine = self._engine()
        if engine is None:
            raise RuntimeError("the engine of this WriteRunner is gone")
        if self._sync is not None:
            async with sqlite_write_turn(engine):  # after the process's other writers
                if on_sqlite is not None:
                    return await self._run_inline(functools.partial(self._run_raw, on_sqlite))
                return await self._run_inline(self._run_sync(transaction))
        if on_asyncpg is not None and engine.dialect.driver == "asyncpg":
            return await self._run_asyncpg(engine, on_asyncpg, asyncpg_transaction)
        async with engine.connect() as conn, conn.begin():
            return await conn.run_sync(transaction)

    @staticmethod
    async def _run_asyncpg(
        engine: AsyncEngine, on_asyncpg: Callable[[Any], Awaitable[T]], transaction: bool
    ) -> T:
        """`on_asyncpg` on the driver of a pooled connection, checked out without an
        `AsyncConnection` around it (a third of the cost of `engine.connect()`). A
        connection left in doubt (closed, or the caller cancelled mid-statement) is
        invalidated instead of going back to the pool."""
        raw = await engine.raw_connection()
        driver: Any = raw.driver_connection
        try:
            if not transaction:
                return await on_asyncpg(driver)
            async with driver.transaction():
                return await on_asyncpg(driver)
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError) or driver.is_closed():
                driver.terminate()
                await greenlet_spawn(raw.invalidate)
            raise
        finally:
            raw.close()

    def _run_sync(self, transaction: Callable[[Connection], T]) -> Callable[[], T]:
        def run() -> T:
            assert self._sync is not None
            with self._sync.begin() as conn:
                return transaction(conn)

        return run

    def _run_raw(self, transaction: Callable[[sqlite3.Connection], T]) -> T:
        """`transaction` on the kept `sqlite3` connection, under the write lock."""
        raw = self._raw
        if raw is None:
            private_sqlite_file(self._url)
            raw = sqlite3.connect(
                self._path, timeout=0, isolation_level=None, check_same_thread=False
            )
            try:
                _sqlite_pragmas(raw, None)
                _sqlite_inline_pragmas(raw, None)
            except BaseException:
                raw.close()
                raise
            self._raw = raw
        try:
            raw.execute("BEGIN IMMEDIATE")  # the write lock now, or SQLITE_BUSY at once
            try:
                result = transaction(raw)
                raw.execute("COMMIT")
            except BaseException:
                if raw.in_transaction:
                    raw.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:
            if not _busy_code(exc.sqlite_errorcode):
                self._raw = None  # an unknown state: a fresh connection next time
                with contextlib.suppress(sqlite3.Error):
                    raw.close()
            raise
        return result

    async def _run_inline(self, transaction: Callable[[], T]) -> T:
        """SQLite on the loop's thread: never waits on a lock, retries instead."""
        assert self._sync is not None
        loop = asyncio.get_running_loop()
        give_up = loop.time() + SQLITE_BUSY_TIMEOUT_MS / 1000
        pause = 0.0005
        while True:
            try:
                result = transaction()
                break
            except OperationalError as exc:
                if not _sqlite_busy(exc) or loop.time() + pause > give_up:
                    raise
            except sqlite3.OperationalError as exc:
                if not _busy_code(exc.sqlite_errorcode) or loop.time() + pause > give_up:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)
        self._commits += 1
        if self._commits % _CHECKPOINT_EVERY == 0 and not self._checkpointing:
            self._checkpointing = True
            loop.run_in_executor(None, self._checkpoint).add_done_callback(self._checkpointed)
        return result

    def _checkpoint(self) -> None:
        """Copy the WAL into the database (PASSIVE: never waits for readers or writers)."""
        with contextlib.closing(sqlite3.connect(self._path, timeout=1.0)) as conn:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _checkpointed(self, future: asyncio.Future[None]) -> None:
        self._checkpointing = False
        if not future.cancelled() and future.exception() is not None:
            log.warning("wal_checkpoint_failed", error_type=type(future.exception()).__name__)

    def close(self) -> None:
        """Release the connection (after a last checkpoint)."""
        if self._raw is not None:
            with contextlib.suppress(sqlite3.Error):
                self._raw.close()
            self._raw = None
        if self._sync is not None:
            self._sync.dispose()
            with contextlib.suppress(sqlite3.Error):
                self._checkpoint()


_RUNNERS: WeakKeyDictionary[AsyncEngine, WriteRunner] = WeakKeyDictionary()


def asyncpg_sql(
    statement: ClauseElement, dialect: Dialect, keys: Sequence[str] = ()
) -> CompiledSql:
    """`statement` compiled once for asyncpg: its SQL and the order of its parameters."""
    compiled: Any = statement.compile(dialect=dialect, column_keys=list(keys) or None)
    return CompiledSql(str(compiled), tuple(compiled.positiontup or ()), dict(compiled.params))


@dataclass(frozen=True)
class CompiledSql:
    sql: str
    params: tuple[str, ...]
    defaults: Mapping[str, Any]  # values the statement itself binds (e.g. `id = 1`)

    def args(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            values[name] if name in values else self.defaults[name] for name in self.params
        )


def write_runner(engine: AsyncEngine) -> WriteRunner:
    """The one `WriteRunner` of `engine` (shared, so SQLite gets a single writer thread)."""
    runner = _RUNNERS.get(engine)
    if runner is None:
        runner = _RUNNERS[engine] = WriteRunner(engine)
    return runner


async def dispose(engine: AsyncEngine) -> None:
    """Close the engine's write runner (if it has one), then its pool."""
    runner = _RUNNERS.pop(engine, None)
    if runner is not None:
        runner.close()
    await engine.dispose()


def _sqlite_reset(
    dbapi_conn: DBAPIConnection, record: ConnectionPoolEntry, state: PoolResetState
) -> None:
    """Roll back a connection coming back to the pool only if it is inside a transaction.

    Every aiosqlite call is a hand-over to the connection's thread and back, so the
    pool's default unconditional rollback doubled the cost of each short read. A
    connection whose transaction SQLAlchemy already ended, or that never opened one
    (SQLite reads run in autocommit), has nothing to roll back.
    """
    if state.terminate_only or not state.asyncio_safe or state.transaction_was_reset:
        return
    driver: Any = record.driver_connection
    if driver is None or driver.in_transaction:
        dbapi_conn.rollback()


def _private_file(database_url: str) -> Callable[..., None]:
    """A `do_connect` hook: the SQLite file is 0600 before SQLite opens (or creates) it."""

    def before_connect(*_args: Any) -> None:
        private_sqlite_file(database_url)

    return before_connect


def _sqlite_busy(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return _busy_code(code)
    return "locked" in str(exc.orig)


def _busy_code(code: int) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED (extended codes carry the primary one in the low byte)."""
    return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def sqlite_time(value: datetime) -> str:
    """A time as SQLAlchemy's `DateTime` stores it on SQLite (the same text, so raw
    writes and Core writes read back alike)."""
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}"
    )


def _sqlite_inline_pragmas(
    dbapi_conn: DBAPIConnection | sqlite3.Connection, _record: ConnectionPoolEntry | None
) -> None:
    """The loop-thread connection never waits for a lock, nor checkpoints in a commit."""
    cursor: Any = dbapi_conn.cursor()
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def _sqlite_pragmas(
    dbapi_conn: DBAPIConnection | sqlite3.Connection, _record: ConnectionPoolEntry | None
) -> None:
    cursor: Any = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
