"""Applying and checking Alembic migrations from inside the service and the CLI.

Migrations run on a connection we hand to Alembic (its "connection sharing"
recipe), so the same code path serves `gateway migrate`, the tests and the demo.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["SchemaState", "alembic_config", "downgrade", "schema_state", "upgrade"]

_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to `revision` in one transaction (rolled back on failure)."""

    def run(conn: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    def run(conn: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


class SchemaState:
    """Where the database stands against the migrations shipped with this code."""

    def __init__(self, current: frozenset[str], heads: frozenset[str]) -> None:
        self.current = current
        self.heads = heads

    @property
    def up_to_date(self) -> bool:
        return self.current == self.heads

    def describe(self) -> str:
        now = ", ".join(sorted(self.current)) or "empty"
        want = ", ".join(sorted(self.heads))
        return f"database schema is at {now}, this version needs {want}"


async def schema_state(engine: AsyncEngine) -> SchemaState:
    heads = frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())

    def current(conn: Connection) -> frozenset[str]:
        return frozenset(MigrationContext.configure(conn).get_current_heads())

    async with engine.connect() as conn:
        now = await conn.run_sync(current)
    return SchemaState(now, heads)
