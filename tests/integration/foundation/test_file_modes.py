"""The data folder is 0700, database files (with `-wal`/`-shm`) 0600, whatever the umask."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import structlog
from sqlalchemy import text
from support import CONFIG_DIR

from adapters.reference.sqlsource import build_reference_database
from adapters.reference.synthetic import generate_population
from gateway.cli import main
from gateway.storage.db import create_engine, dispose


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def loose_umask() -> Iterator[None]:
    """The usual 022: files would be world-readable unless the gateway says otherwise."""
    old = os.umask(0o022)
    saved = structlog.get_config()  # the CLI configures logging onto captured streams
    yield
    os.umask(old)
    structlog.configure(**saved)


def side_files(db: Path) -> list[Path]:
    return [db.with_name(db.name + suffix) for suffix in ("-wal", "-shm")]


def test_migrate_and_keys_init_make_a_private_data_dir_and_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "var" / "gateway"
    monkeypatch.delenv("GATEWAY_DATABASE_URL", raising=False)
    args = ["--data-dir", str(data), "--config-dir", str(CONFIG_DIR)]
    assert main(["keys", "init", *args]) == 0
    assert mode(data) == 0o700
    data.chmod(0o755)  # loosened by hand: the next command tightens it again
    assert main(["migrate", *args]) == 0
    assert mode(data) == 0o700
    assert mode(data / "gateway.db") == 0o600
    assert all(mode(p) == 0o600 for p in side_files(data / "gateway.db") if p.exists())


async def test_a_new_sqlite_database_and_its_wal_and_shm_are_0600(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (a INTEGER)"))
            await conn.execute(text("INSERT INTO t VALUES (1)"))
        async with engine.connect() as conn:  # the WAL and shared-memory files exist now
            await conn.execute(text("SELECT a FROM t"))
            assert all(p.exists() for p in side_files(db))
            assert [mode(p) for p in (db, *side_files(db))] == [0o600] * 3
    finally:
        await dispose(engine)


async def test_an_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    for path in (db, *side_files(db)):
        path.touch()
        path.chmod(0o644)
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    assert mode(db) == 0o644  # an engine that never connects touches nothing
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        assert [mode(p) for p in (db, *side_files(db))] == [0o600] * 3
    finally:
        await dispose(engine)


async def test_an_engine_that_never_connects_creates_no_file(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'never.db'}")
    await dispose(engine)
    assert not (tmp_path / "never.db").exists()


async def test_a_reference_source_database_is_0600(tmp_path: Path) -> None:
    db = tmp_path / "sources" / "rvdk.db"
    db.parent.mkdir()
    population = await asyncio.to_thread(
        generate_population, seed=2026, households=4, today=date(2026, 3, 2)
    )
    await build_reference_database(f"sqlite+aiosqlite:///{db}", population, "rvdk")
    assert mode(db) == 0o600
    assert all(mode(p) == 0o600 for p in side_files(db) if p.exists())
