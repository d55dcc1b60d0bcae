"""The write runner on a real database: a transaction commits or leaves nothing, and
on a SQLite file a held write lock is waited out without blocking the event loop,
the WAL is checkpointed off the commit path, and `dispose` leaves it checkpointed."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import shutil
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, insert, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

import gateway.storage.db
from gateway.storage.db import begin_write, create_engine, dispose, write_runner

probe_metadata = MetaData()
probe = Table(
    "probe",
    probe_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("note", String(40), nullable=False),
)


class Boom(Exception):
    """Raised by a transaction on purpose."""


async def _probe_engine(url: str) -> AsyncEngine:
    """An engine whose database has an empty `probe` table, already in the main file
    on SQLite (checkpointed), so that the main file shows what later checkpoints copy."""
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(probe_metadata.create_all)
    if engine.dialect.name == "sqlite":
        with contextlib.closing(sqlite3.connect(_path(engine))) as conn:
            assert conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone() == (0, 0, 0)
    return engine


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = await _probe_engine(database_url)
    yield engine
    await dispose(engine)


@pytest.fixture
async def sqlite_engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    engine = await _probe_engine(sqlite_url)
    yield engine
    await dispose(engine)


def _path(engine: AsyncEngine) -> str:
    return str(engine.url.database)


def add(note: str, calls: list[int] | None = None) -> Callable[[Connection], str]:
    """A transaction inserting `note`; records the thread of every call in `calls`."""

    def transaction(conn: Connection) -> str:
        if calls is not None:
            calls.append(threading.get_ident())
        conn.execute(insert(probe).values(note=note))
        return note

    return transaction


async def notes(engine: AsyncEngine) -> list[str]:
    """What another engine (another gateway instance) reads: committed rows only."""
    other = create_engine(engine.url.render_as_string(hide_password=False))
    try:
        async with other.connect() as conn:
            return list((await conn.execute(select(probe.c.note).order_by(probe.c.id))).scalars())
    finally:
        await other.dispose()


def main_file_notes(engine: AsyncEngine, scratch: Path) -> list[str] | None:
    """The rows in the SQLite main file alone, i.e. what checkpoints have copied out of
    the WAL: read from a copy of the file without its `-wal`. None if the copy was torn
    by a checkpoint writing at that moment."""
    copy = scratch / "main-only.db"
    for leftover in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(_path(engine), copy)
    try:
        with contextlib.closing(sqlite3.connect(copy)) as conn:
            return [row[0] for row in conn.execute("SELECT note FROM probe ORDER BY id")]
    except sqlite3.DatabaseError:
        return None


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait (yielding to the loop) until `condition()` holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


async def ticking(ticks: list[float]) -> None:
    """A task that records a timestamp every time the event loop lets it run."""
    while True:
        ticks.append(time.monotonic())
        await asyncio.sleep(0.001)


async def while_ticking(work: Awaitable[str]) -> tuple[str, float, list[float]]:
    """`work`'s result, its duration and the ticks a concurrent task made meanwhile."""
    ticks: list[float] = []
    ticker = asyncio.create_task(ticking(ticks))
    await asyncio.sleep(0)
    start = time.monotonic()
    try:
        result = await work
    finally:
        end = time.monotonic()
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
    return result, end - start, [t for t in ticks if start <= t <= end]


def write_lock(engine: AsyncEngine) -> sqlite3.Connection:
    """Another connection holding the SQLite write lock (BEGIN IMMEDIATE) until it ends."""
    locker = sqlite3.connect(_path(engine), isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    return locker


# -- both engines -----------------------------------------------------------------------


async def test_a_transaction_commits_and_another_connection_sees_it(engine: AsyncEngine) -> None:
    runner = write_runner(engine)
    assert await runner.run(add("first")) == "first"
    assert await runner.run(add("second")) == "second"
    assert await notes(engine) == ["first", "second"]


async def test_a_failing_transaction_writes_nothing_and_its_error_reaches_the_caller(
    engine: AsyncEngine,
) -> None:
    """Rolled back, not half-applied; the runner stays usable afterwards."""
    runner = write_runner(engine)

    def half_then_boom(conn: Connection) -> None:
        conn.execute(insert(probe).values(note="half"))
        raise Boom

    with pytest.raises(Boom):
        await runner.run(half_then_boom)
    assert await notes(engine) == []
    await runner.run(add("after"))
    assert await notes(engine) == ["after"]


async def test_one_runner_per_engine(engine: AsyncEngine) -> None:
    """Shared, so every caller on SQLite goes through the one writer connection."""
    other = create_engine(engine.url.render_as_string(hide_password=False))
    try:
        assert write_runner(engine) is write_runner(engine)
        assert write_runner(other) is not write_runner(engine)
    finally:
        await dispose(other)


async def test_dispose_forgets_the_runner(engine: AsyncEngine) -> None:
    """After `dispose` the engine (usable again, as SQLAlchemy allows) gets a new runner."""
    before = write_runner(engine)
    await before.run(add("before"))
    await dispose(engine)
    after = write_runner(engine)
    assert after is not before
    await after.run(add("after"))
    assert await notes(engine) == ["before", "after"]


# -- SQLite file ------------------------------------------------------------------------


async def test_a_held_write_lock_is_waited_out_without_blocking_the_loop(
    sqlite_engine: AsyncEngine,
) -> None:
    """Another connection holds the write lock for 200 ms: the runner retries (calling
    the transaction again, on the loop's thread) while other tasks keep running, then
    commits once, after the other connection's own write."""
    runner = write_runner(sqlite_engine)
    calls: list[int] = []
    locker = write_lock(sqlite_engine)
    locker.execute("INSERT INTO probe (note) VALUES ('locker')")

    async def release() -> None:
        await asyncio.sleep(0.2)
        locker.execute("COMMIT")

    releaser = asyncio.create_task(release())
    try:
        result, elapsed, ticks = await while_ticking(runner.run(add("mine", calls)))
    finally:
        releaser.cancel()
        locker.close()
    assert result == "mine"
    assert elapsed >= 0.15
    assert len(calls) > 1
    assert set(calls) == {threading.get_ident()}
    assert len(ticks) >= 20, f"{len(ticks)} ticks while waiting {elapsed:.3f} s"
    # Blocking on the lock would show one gap of the whole 200 ms hold; 150 ms leaves
    # room for a loaded 2-core machine (a 114 ms gap was seen in CI) and still tells them apart.
    assert max(b - a for a, b in itertools.pairwise(ticks)) < 0.15
    assert await notes(sqlite_engine) == ["locker", "mine"]


async def test_a_lock_never_released_fails_after_the_busy_timeout_and_writes_nothing(
    sqlite_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The caller gets the OperationalError after about the busy timeout (fails closed),
    not after blocking; once the lock is gone the runner writes again."""
    monkeypatch.setattr(gateway.storage.db, "SQLITE_BUSY_TIMEOUT_MS", 300)
    runner = write_runner(sqlite_engine)
    calls: list[int] = []
    locker = write_lock(sqlite_engine)
    try:
        start = time.monotonic()
        with pytest.raises(OperationalError, match="locked"):
            await runner.run(add("mine", calls))
        elapsed = time.monotonic() - start
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert 0.2 <= elapsed < 2.0, elapsed
    assert len(calls) > 1
    assert await notes(sqlite_engine) == []
    await runner.run(add("later"))
    assert await notes(sqlite_engine) == ["later"]


async def test_every_nth_commit_checkpoints_the_wal_on_a_worker_thread(
    sqlite_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The runner's connection never checkpoints in a commit (the main file stays as it
    was), but every `_CHECKPOINT_EVERY` commits a worker copies the WAL into the main
    file, and does so again for the next round."""
    monkeypatch.setattr(gateway.storage.db, "_CHECKPOINT_EVERY", 5)
    runner = write_runner(sqlite_engine)
    written: list[str] = []
    for round_ in range(2):
        for n in range(5):
            if n == 4:
                assert main_file_notes(sqlite_engine, tmp_path) == written[: round_ * 5]
            written.append(await runner.run(add(f"r{round_}-{n}")))
        await until(lambda: main_file_notes(sqlite_engine, tmp_path) == written)
        await until(lambda: not runner._checkpointing)  # the worker's callback has run
    assert await notes(sqlite_engine) == written


async def test_dispose_checkpoints_what_the_runner_wrote(
    sqlite_engine: AsyncEngine, tmp_path: Path
) -> None:
    """An open connection elsewhere (the CLI, another instance) prevents SQLite's own
    checkpoint on last close, yet after `dispose` the main file holds every write."""
    runner = write_runner(sqlite_engine)
    with contextlib.closing(sqlite3.connect(_path(sqlite_engine))) as observer:
        observer.execute("SELECT count(*) FROM probe").fetchall()
        for n in range(3):
            await runner.run(add(f"n{n}"))
        assert main_file_notes(sqlite_engine, tmp_path) == []
        await dispose(sqlite_engine)
        assert main_file_notes(sqlite_engine, tmp_path) == ["n0", "n1", "n2"]


async def test_store_writes_back_to_back_do_not_starve_the_runner(
    sqlite_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The defect behind a failed audit checkpoint while the demo seed wrote to a large
    database: write transactions of this process through aiosqlite (`begin_write`), each
    holding the write lock across awaits and the next one starting as soon as the last
    committed, left the runner (which retries instead of waiting) no moment to write
    until its busy timeout ran out. Every writer of the process now takes its turn in
    order: the runner writes between two of them, at once, every time."""
    monkeypatch.setattr(gateway.storage.db, "SQLITE_BUSY_TIMEOUT_MS", 1000)
    stop = asyncio.Event()
    store_writes = 0

    async def store() -> None:
        nonlocal store_writes
        while not stop.is_set():
            async with begin_write(sqlite_engine) as conn:
                await conn.execute(insert(probe).values(note="store"))
                await asyncio.sleep(0.03)  # a slow write, on a large database
            store_writes += 1

    writers = [asyncio.create_task(store()) for _ in range(2)]
    try:
        await asyncio.sleep(0.1)
        runner = write_runner(sqlite_engine)
        waits = []
        for n in range(5):
            start = time.monotonic()
            assert await runner.run(add(f"runner-{n}")) == f"runner-{n}"
            waits.append(time.monotonic() - start)
    finally:
        stop.set()
        await asyncio.gather(*writers)
    assert store_writes >= 5
    assert max(waits) < 0.5, waits  # behind at most the writes queued before it
    assert [n for n in await notes(sqlite_engine) if n != "store"] == [
        f"runner-{n}" for n in range(5)
    ]
