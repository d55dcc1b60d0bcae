"""The consent check's reader on a real database: every read sees the latest commit
(nothing is cached), it closes cleanly, and on a SQLite file its loop-thread
connection is read-only and a locked database is read through the pooled fallback."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sqlite3
import time
import warnings
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool
from support import migrate

from consent._fastread import CheckReader
from consent.tables import consents
from gateway.storage.db import create_engine, dispose

BY_SUBJECT = select(consents.c.id).where(consents.c.subject == bindparam("subject"))
T0 = datetime(2026, 1, 10, 9, tzinfo=UTC)


def consent_row(consent_id: str, subject: str) -> dict[str, Any]:
    """A consents row with every required column (the reader only looks at id/subject)."""
    return {
        "id": consent_id,
        "subject": subject,
        "given_by": "ps_mum",
        "giver_role": "parent",
        "decision": "grant",
        "status": "active",
        "scope_key": "test",
        "purposes": ["support_planning"],
        "categories": ["school"],
        "recipient_organisations": [],
        "recipient_types": ["wijkteam"],
        "source_organisations": [],
        "source_types": [],
        "given_at": T0,
        "valid_from": T0,
        "recorded_via": "paper",
        "recorded_by": {"kind": "professional"},
        "policy_version": "sha256:test",
    }


async def write(engine: AsyncEngine, *rows: dict[str, Any]) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(consents), list(rows))


async def ids(reader: CheckReader, subject: str) -> list[str]:
    return sorted(row[0] for row in await reader.rows(subject))


@pytest.fixture
async def sqlite_engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    await migrate(sqlite_url)
    engine = create_engine(sqlite_url)
    yield engine
    await dispose(engine)


async def test_every_read_sees_the_latest_commit(engine: AsyncEngine) -> None:
    """Writes from another instance and from this engine, inserts and a delete: each is
    in the very next read (a withdrawal must count at once, so there is no cache)."""
    other = create_engine(engine.url.render_as_string(hide_password=False))
    reader = CheckReader(engine, BY_SUBJECT, "subject")
    try:
        assert await ids(reader, "ps_kid") == []
        await write(other, consent_row("c1", "ps_kid"))
        assert await ids(reader, "ps_kid") == ["c1"]
        await write(engine, consent_row("c2", "ps_kid"), consent_row("c3", "ps_other"))
        assert await ids(reader, "ps_kid") == ["c1", "c2"]
        async with other.begin() as conn:
            await conn.execute(delete(consents).where(consents.c.id == "c1"))
        assert await ids(reader, "ps_kid") == ["c2"]
        assert await ids(reader, "ps_other") == ["c3"]
    finally:
        await reader.close()
        await dispose(other)


async def test_close_then_dispose_leaves_nothing_behind(engine: AsyncEngine) -> None:
    """Connections kept by concurrent reads go back to the pool (on PostgreSQL, not
    closing first warns that the garbage collector cleans up a non-checked-in
    connection); on SQLite, where reads run inline, its own connection is closed."""
    await write(engine, consent_row("c1", "ps_kid"))
    reader = CheckReader(engine, BY_SUBJECT, "subject", connections=2)
    results = await asyncio.gather(*(ids(reader, "ps_kid") for _ in range(8)))
    assert results == [["c1"]] * 8
    inline = reader._inline
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await reader.close()
        pool = engine.sync_engine.pool
        assert isinstance(pool, QueuePool) and pool.checkedout() == 0
        await dispose(engine)
        del reader
        gc.collect()
    assert [str(w.message) for w in caught] == []
    if engine.dialect.name == "sqlite":
        assert inline is not None
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            inline.execute("SELECT 1")


async def test_the_inline_sqlite_connection_cannot_write(sqlite_engine: AsyncEngine) -> None:
    """The loop-thread connection is opened by the first read; it is query-only."""
    await write(sqlite_engine, consent_row("c1", "ps_kid"))
    reader = CheckReader(sqlite_engine, BY_SUBJECT, "subject")
    try:
        assert await ids(reader, "ps_kid") == ["c1"]
        inline = reader._inline
        assert inline is not None
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            inline.execute("DELETE FROM consents")
        assert await ids(reader, "ps_kid") == ["c1"]
    finally:
        await reader.close()


async def test_a_locked_sqlite_file_is_read_through_the_pooled_fallback(
    sqlite_url: str,
) -> None:
    """Another connection in EXCLUSIVE locking mode keeps even WAL readers out: the
    inline read (busy timeout 0) gives way to a pooled connection, which waits for the
    lock in its driver thread while the loop runs on, and answers once it is released."""
    await migrate(sqlite_url)
    writer = create_engine(sqlite_url)
    try:
        await write(writer, consent_row("c1", "ps_kid"))
    finally:
        await dispose(writer)  # no connection of ours may hold the file when it is locked
    engine = create_engine(sqlite_url)
    reader = CheckReader(engine, BY_SUBJECT, "subject")
    path = str(engine.url.database)
    locker = sqlite3.connect(path, isolation_level=None)
    try:
        locker.execute("PRAGMA locking_mode=EXCLUSIVE")
        locker.execute("SELECT count(*) FROM consents").fetchall()  # takes the lock
        with (
            contextlib.closing(sqlite3.connect(path, timeout=0)) as probe,
            pytest.raises(sqlite3.OperationalError, match="locked"),
        ):
            probe.execute("SELECT count(*) FROM consents").fetchall()

        async def release() -> None:
            await asyncio.sleep(0.2)
            locker.close()

        ticks = 0

        async def ticking() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        releaser = asyncio.create_task(release())
        ticker = asyncio.create_task(ticking())
        start = time.monotonic()
        try:
            assert await ids(reader, "ps_kid") == ["c1"]
        finally:
            elapsed = time.monotonic() - start
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            await releaser
        assert elapsed >= 0.15  # it did wait for the lock, and did not fail
        assert ticks >= 20, f"{ticks} ticks while waiting {elapsed:.3f} s"
        assert await ids(reader, "ps_kid") == ["c1"]  # and reads inline again
    finally:
        locker.close()
        await reader.close()
        await dispose(engine)
