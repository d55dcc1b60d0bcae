"""Small helpers shared by the storage modules."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import sqlite3
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from consent.model import Actor

__all__ = [
    "AuditStep",
    "actor_from",
    "append_event",
    "aware",
    "begin_write",
    "lock_people",
    "new_id",
    "sqlite_write_turn",
    "utc",
]

# The busy timeout of SQLite connections (gateway.storage.db sets it on each one): also
# how long a write waits for its turn in this process before it fails (503).
SQLITE_BUSY_TIMEOUT_MS = 10_000

# Per event loop and SQLite file: whose turn it is to write, in this process.
_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


@contextlib.asynccontextmanager
async def sqlite_write_turn(engine: AsyncEngine) -> AsyncIterator[None]:
    """This process's turn to write to the engine's SQLite file (first come, first served).

    SQLite has one write lock and no queue for it: a connection that finds it taken
    retries until its busy timeout. Two writers of one process that keep it busy in
    turn (a store's write transactions through aiosqlite, the write runner on the loop's
    thread, which never waits on the lock but retries) can starve a third: seen as a
    failed audit checkpoint while the demo seed wrote to a database of 1M consents,
    whose transactions each held the lock for most of the time. Every write
    transaction of the process therefore first waits here, in order; only other
    processes are left to the busy timeout. Does nothing on other databases, and on
    an in-memory one.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or database in (None, "", ":memory:"):
        yield
        return
    turns = _TURNS.setdefault(asyncio.get_running_loop(), {})
    turn = turns.get(str(database))
    if turn is None:
        turn = turns[str(database)] = asyncio.Lock()
    try:
        async with asyncio.timeout(SQLITE_BUSY_TIMEOUT_MS / 1000):
            await turn.acquire()
    except TimeoutError:
        raise sqlite3.OperationalError("database is locked (no turn to write)") from None
    try:
        yield
    finally:
        turn.release()


# What a write runs inside its transaction just before the commit: the caller's audit
# entry, given the connection and the id of what was written. If it raises, nothing
# of the write is kept.
AuditStep = Callable[[AsyncConnection, str], Awaitable[None]]


@contextlib.asynccontextmanager
async def begin_write(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A write transaction: COMMIT if the block ends normally, ROLLBACK if it raises.

    On SQLite it starts with BEGIN IMMEDIATE, taking the write lock at once (waiting
    up to the busy timeout): a deferred transaction that read first and then writes
    fails at once with SQLITE_BUSY when another connection wrote in between, and the
    checks a write makes (who is regiehouder, is that consent still live) must hold
    until it commits. On PostgreSQL it is an ordinary transaction (row locks).
    """
    async with sqlite_write_turn(engine), engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            await conn.begin()
        try:
            yield conn
        except BaseException:
            await conn.rollback()
            raise
        await conn.commit()


async def lock_people(conn: AsyncConnection, people: list[str]) -> None:
    """Serialise writes about the same people until this transaction ends.

    PostgreSQL: transaction-scoped advisory locks, taken in sorted order (no deadlock).
    SQLite: `begin_write` already holds the database's one write lock.
    """
    if conn.dialect.name != "postgresql":
        return
    for person in sorted(set(people)):
        await conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:person, 0))"),
            {"person": person},
        )


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def utc(value: datetime) -> datetime:
    """Timezone-aware UTC (SQLite keeps no offset, so everything is stored in UTC)."""
    if value.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return value.astimezone(UTC)


def aware(value: datetime) -> datetime:
    """A value read back: SQLite gives naive UTC, PostgreSQL aware; make both aware UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def actor_from(data: Any) -> Actor:
    if not isinstance(data, dict):
        return Actor("system")
    kind = data.get("kind", "system")
    return Actor(
        kind if kind in ("professional", "person", "system") else "system",
        organisation=data.get("organisation"),
        professional=data.get("professional"),
        person=data.get("person"),
    )


async def append_event(
    conn: AsyncConnection,
    events: Table,
    owner: tuple[str, str],
    event: str,
    at: datetime,
    actor: Actor,
    detail: dict[str, str],
) -> None:
    """One row of an append-only history table (`owner` = its key column and value)."""
    column, value = owner
    await conn.execute(
        insert(events).values(
            {column: value, "event": event, "at": at, "actor": actor.as_dict(), "detail": detail}
        )
    )
