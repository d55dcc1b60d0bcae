"""Alembic migrations: upgrade from empty, downgrade to empty and up again, on both engines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from support import REPO

from gateway.storage.db import create_engine
from gateway.storage.schema import downgrade, schema_state, upgrade


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


async def test_upgrade_downgrade_upgrade_round_trip(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert not (await schema_state(engine)).up_to_date
        await upgrade(engine)
        state = await schema_state(engine)
        assert state.up_to_date
        async with engine.connect() as conn:
            full = await conn.run_sync(_tables)
        assert "replay_cache" in full
        await downgrade(engine, "base")
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) <= {"alembic_version"}
        assert not (await schema_state(engine)).up_to_date
        await upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == full
        assert (await schema_state(engine)).up_to_date
    finally:
        await engine.dispose()


def test_alembic_history_starts_with_the_initial_migration() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "history"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "<base> -> 0001_foundation" in result.stdout


def test_cli_migrate_then_schema_is_current(tmp_path: Path) -> None:
    env = {"GATEWAY_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert "schema up to date" in result.stdout
    assert (tmp_path / "gateway.db").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["serve", "--help"],
        ["migrate", "--help"],
        ["keys", "init", "--help"],
        ["keys", "rotate", "--help"],
    ],
)
def test_every_command_has_help(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway", *args], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "usage: gateway" in result.stdout
