"""Small helpers shared by the storage modules."""

from __future__ import annotations

import contextlib
import secrets
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
    "utc",
]

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
    async with engine.connect() as conn:
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
