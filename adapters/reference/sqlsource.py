"""The RvdK reference source as a real database, for the SQL adapter.

`build_reference_database` (re)creates the RvdK's tables — its own MetaData,
optionally in a schema of its own — and fills them from the population, so
`SqlSourceAdapter` and `config/sources/rvdk.toml` run against a real SQLite
file or PostgreSQL. Tables carry columns no mapping may pass on.
"""

from __future__ import annotations

import contextlib
import os
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, Text, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.reference.records import RVDK_TABLES
from adapters.reference.synthetic import Population

__all__ = ["build_reference_database", "reference_metadata"]

_DATE_COLUMNS = {"geboortedatum", "startdatum", "afgerond_op", "datum", "registratiedatum"}


def reference_metadata(schema: str | None = None) -> MetaData:
    """The RvdK system's tables (a fresh MetaData per call: no shared state)."""
    metadata = MetaData(schema=schema)

    def key() -> list[Column[Any]]:
        return [
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("bsn", String(9), nullable=False, index=True),
        ]

    Table("bron", metadata, Column("sleutel", String(64), primary_key=True), Column("waarde", Text))
    Table(
        "personen",
        metadata,
        *key(),
        Column("naam", String(200)),
        Column("geboortedatum", Date),
        Column("adres", String(300)),
    )
    Table(
        "onderzoeken",
        metadata,
        *key(),
        Column("onderzoeksnummer", String(40)),
        Column("soort", String(80)),
        Column("startdatum", Date),
        Column("afgerond_op", Date),
        Column("advies", Text),
        Column("raadsonderzoeker", String(200)),
        Column("interne_opmerking", Text),
    )
    Table(
        "beschikkingen",
        metadata,
        *key(),
        Column("zaaknummer", String(80)),
        Column("rechtbank", String(200)),
        Column("datum", Date),
        Column("dictum", Text),
    )
    Table(
        "justitiele_documentatie",
        metadata,
        *key(),
        Column("registratiedatum", Date),
        Column("omschrijving", Text),
        Column("afdoening", String(200)),
    )
    return metadata


async def build_reference_database(
    url: str, population: Population, org_id: str, *, schema: str | None = None
) -> int:
    """Drop, create and fill the RvdK tables at `url`; returns the number of rows written.

    With `schema` (PostgreSQL) the tables live in that schema, created if needed,
    so parallel tests do not collide; drop it afterwards to clean up.
    """
    metadata = reference_metadata(schema)
    _private_sqlite_file(url)
    engine = create_async_engine(url)
    rows = 0
    try:
        async with engine.begin() as connection:
            if schema is not None:
                quoted = connection.dialect.identifier_preparer.quote_schema(schema)
                await connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))
            await connection.run_sync(metadata.drop_all)
            await connection.run_sync(metadata.create_all)
            tables = {t.name: t for t in metadata.sorted_tables}
            await connection.execute(
                insert(tables["bron"]),
                [
                    {"sleutel": "organisatie", "waarde": org_id},
                    {"sleutel": "seed", "waarde": str(population.seed)},
                    {"sleutel": "peildatum", "waarde": population.today.isoformat()},
                ],
            )
            for name in RVDK_TABLES:
                batch = [
                    _typed(row)
                    for document in population.source_records.get("rvdk", {}).values()
                    for row in document.get(name, [])
                ]
                if batch:
                    await connection.execute(insert(tables[name]), batch)
                    rows += len(batch)
    finally:
        await engine.dispose()
    return rows


def _private_sqlite_file(url: str) -> None:
    """A SQLite source file is 0600 from the first byte (SQLite itself would make it 0644).

    Its `-wal`/`-shm` files take the database file's mode. Other engines: nothing to do.
    """
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or database in (None, "", ":memory:"):
        return
    path = Path(str(database))
    if str(database).startswith("file:") or not path.parent.is_dir():
        return
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            candidate.chmod(0o600)


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: date.fromisoformat(value) if key in _DATE_COLUMNS and value else value
        for key, value in row.items()
    }
