"""The consent check's single read, run on the driver connection of the shared engine.

The statement is SQLAlchemy Core (`consent.check._CHECK`), compiled once for the
engine's dialect. On asyncpg and aiosqlite it is executed on the driver of a
pooled connection the reader keeps (one prepared-statement round trip, or one hop
to the SQLite thread) instead of through SQLAlchemy's async result layer and a
pool check-out per read, which on small machines cost more than the query
itself. Other drivers take the ordinary path. Every call reads the database:
there is no cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.expression import CompoundSelect, Select

__all__ = ["CheckReader", "as_date", "as_datetime", "as_list"]


class CheckReader:
    """Runs one read-only statement on a few connections it keeps checked out.

    Checking a connection out of SQLAlchemy's pool and back costs several times the
    query itself on small machines (greenlet hand-overs, a reset on return), so the
    reader keeps up to `connections` pooled connections and runs the statement on
    their driver. Each read is one autocommit statement: it sees everything
    committed before it, on every instance. A connection that fails is closed and
    replaced on the next read; the failing read raises (the caller fails closed).
    `close()` gives the connections back; call it before disposing the engine.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        statement: Select[Any] | CompoundSelect[Any],
        param: str,
        *,
        connections: int = 4,
    ) -> None:
        dialect = engine.dialect
        self._statement = statement
        self._param = param
        self._driver = dialect.driver if dialect.driver in ("asyncpg", "aiosqlite") else ""
        # PostgreSQL reads need no transaction: no BEGIN/ROLLBACK round trips.
        self._engine = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if dialect.name == "postgresql"
            else engine
        )
        compiled = statement.compile(dialect=dialect)
        self._sql = str(compiled)
        self._positions = len(compiled.positiontup or ()) or 1
        # A SQLite file is also read on the loop's own thread (see `_read_inline`).
        url = engine.url
        self._inline_path = (
            str(url.database)
            if self._driver == "aiosqlite" and url.database not in (None, "", ":memory:")
            else ""
        )
        self._inline: sqlite3.Connection | None = None
        self._idle: list[tuple[AsyncConnection, Any]] = []  # (connection, its driver's)
        self._held: set[AsyncConnection] = set()
        self._available = asyncio.Semaphore(connections)

    async def rows(self, value: str) -> list[tuple[Any, ...]]:
        """The statement's rows for `value` (bound to every occurrence of the parameter)."""
        if not self._driver:
            async with self._engine.connect() as plain:
                result = await plain.execute(self._statement, {self._param: value})
                return [tuple(row) for row in result]
        args = [value] * self._positions
        if self._inline_path:
            inline = self._read_inline(args)
            if inline is not None:
                return inline
        async with self._available:
            conn, driver = self._idle.pop() if self._idle else await self._open()
            try:
                if self._driver == "asyncpg":
                    rows = [tuple(row) for row in await driver.fetch(self._sql, *args)]
                else:
                    rows = [tuple(row) for row in await driver.execute_fetchall(self._sql, args)]
            except BaseException:
                await self._discard(conn)
                raise
            self._idle.append((conn, driver))
            return rows

    def _read_inline(self, args: list[str]) -> list[tuple[Any, ...]] | None:
        """The rows, read on the event loop's thread; None if SQLite is busy right now.

        An indexed read of a few rows from an in-process library takes far less
        than handing it to a driver thread and back. The connection is read-only
        (`query_only`), in autocommit (each read sees everything committed), and
        never waits: with a zero busy timeout a lock (rare for WAL readers) sends
        the read to the pooled path instead of blocking the loop.
        """
        try:
            if self._inline is None:
                conn = sqlite3.connect(
                    self._inline_path, timeout=0, isolation_level=None, check_same_thread=False
                )
                conn.execute("PRAGMA query_only=ON")
                self._inline = conn
            return [tuple(row) for row in self._inline.execute(self._sql, args).fetchall()]
        except sqlite3.OperationalError as exc:
            # Extended codes (e.g. SQLITE_BUSY_RECOVERY) carry the primary code in the low byte.
            if exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                return None
            raise

    async def close(self) -> None:
        """Give every kept connection back to the engine's pool."""
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        held, self._held, self._idle = self._held, set(), []
        for conn in held:
            await conn.close()

    async def _open(self) -> tuple[AsyncConnection, Any]:
        conn = await self._engine.connect()
        self._held.add(conn)
        raw = await conn.get_raw_connection()
        return conn, raw.driver_connection

    async def _discard(self, conn: AsyncConnection) -> None:
        self._held.discard(conn)
        with contextlib.suppress(Exception):
            await conn.invalidate()
        with contextlib.suppress(Exception):  # closed even if invalidating failed
            await conn.close()


def as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def as_datetime(value: Any) -> datetime | None:
    """Aware UTC from a driver value (SQLite stores naive UTC text)."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def as_list(value: Any) -> list[str]:
    """A JSON list column's items (its text, or what a driver decoded); none for null."""
    parsed = json.loads(value) if isinstance(value, str | bytes) else value
    return [] if parsed is None else [str(v) for v in parsed]
