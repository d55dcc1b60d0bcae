"""Alembic environment: collects the metadata of every package that owns tables.

`gateway.storage.schema` runs migrations programmatically on a connection it hands in
(`config.attributes["connection"]`); the `alembic` command line works too and
then connects with `GATEWAY_DATABASE_URL` (or the SQLite default).
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

import gateway.audit.tables  # noqa: F401  (registers the audit tables on gateway.storage.tables.metadata)
from consent.tables import metadata as consent_metadata
from gateway.settings import Settings
from gateway.storage.db import create_engine
from gateway.storage.tables import metadata as gateway_metadata

target_metadata = [gateway_metadata, consent_metadata]


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    settings = Settings.load(os.environ)
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run)
    finally:
        await engine.dispose()


connection = context.config.attributes.get("connection")
if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `gateway migrate`")
if connection is None:
    asyncio.run(_run_with_own_engine())
else:
    _run(connection)
