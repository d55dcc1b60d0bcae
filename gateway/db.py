"""Database engines: SQLite (embedded default) or PostgreSQL (for scale).

The engine is created inside the app's cleanup context, never at import time.
SQLite gets WAL, foreign keys and a busy timeout on every connection so that
several tasks (and the CLI next to a running server) can share the file.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import sqlalchemy
from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolResetState

__all__ = ["WriteRunner", "create_engine", "dispose", "write_runner"]

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 10_000


def create_engine(database_url: str, *, pool_size: int = 20) -> AsyncEngine:
    """An async engine for `database_url` with the settings each backend needs."""
    if database_url.startswith("sqlite"):
        engine = create_async_engine(
            database_url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_reset_on_return=None,  # `_sqlite_reset` decides instead
        )
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

    A transaction is a plain function on a synchronous `Connection`. On a SQLite
    file it runs on one dedicated thread with its own connection, so the whole
    transaction costs the event loop one hand-over instead of one per statement,
    and this process's hot-path writers queue on that thread rather than in
    SQLite's sleeping busy handler (other processes still meet the busy timeout).
    On PostgreSQL, which locks rows, it runs with `AsyncConnection.run_sync` on a
    pooled connection, concurrently with other transactions.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = weakref.ref(engine)
        self._sync: Engine | None = None
        self._thread: ThreadPoolExecutor | None = None
        url = engine.url
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            self._sync = sqlalchemy.create_engine(
                url.set(drivername="sqlite+pysqlite"),
                connect_args={
                    "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                    # Only the runner's thread uses it; disposal may come from another.
                    "check_same_thread": False,
                },
                pool_size=1,
                max_overflow=0,
            )
            event.listen(self._sync, "connect", _sqlite_pragmas)
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")

    async def run(self, transaction: Callable[[Connection], T]) -> T:
        """`transaction(conn)` inside BEGIN ... COMMIT (ROLLBACK if it raises)."""
        if self._thread is not None:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._thread, self._in_thread, transaction)
        engine = self._engine()
        if engine is None:
            raise RuntimeError("the engine of this WriteRunner is gone")
        async with engine.begin() as conn:
            return await conn.run_sync(transaction)

    def _in_thread(self, transaction: Callable[[Connection], T]) -> T:
        assert self._sync is not None
        with self._sync.begin() as conn:
            return transaction(conn)

    def close(self) -> None:
        """Finish queued transactions, then release the thread and its connection."""
        if self._thread is not None:
            self._thread.shutdown(wait=True)
        if self._sync is not None:
            self._sync.dispose()


_RUNNERS: WeakKeyDictionary[AsyncEngine, WriteRunner] = WeakKeyDictionary()


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
        await asyncio.get_running_loop().run_in_executor(None, runner.close)
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


def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor: Any = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
