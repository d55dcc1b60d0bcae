"""Rows to entries and back, and reading the chain out of the database in order."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway.audit.fields import FIELDS, AuditField
from gateway.audit.model import AuditEntry, Checkpoint
from gateway.audit.tables import audit_chain_head, audit_checkpoints, audit_entries
from gateway.audit.verify import ChainHead, ChainVerifier, VerifyReport

__all__ = [
    "checkpoint_from_row",
    "column_value",
    "entry_from_row",
    "entry_row",
    "json_list",
    "json_object",
    "read_checkpoints",
    "read_head",
    "snapshot",
    "stream_entries",
    "utc",
    "verify_stored",
]

READ_CHUNK = 5000


def json_list(values: Sequence[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))


def json_object(values: Mapping[str, str]) -> str:
    return json.dumps(dict(values), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def utc(value: datetime) -> datetime:
    """Times come back naive from SQLite (always stored as UTC) and aware from PostgreSQL."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def column_value(field: AuditField, value: Any) -> Any:
    """A field's column value from its attribute or JSON form (times stay datetimes)."""
    if field.kind == "codes":
        return json_list(value)
    if field.kind == "details":
        return json_object(value)
    return value


def entry_row(entry: AuditEntry) -> dict[str, Any]:
    return {f.name: column_value(f, getattr(entry, f.name)) for f in FIELDS}


def _attribute(field: AuditField, value: Any) -> Any:
    if value is None and field.nullable:
        return None
    if field.kind == "int":
        return int(value)
    if field.kind == "time":
        return utc(value)
    if field.kind == "codes":
        return tuple(json.loads(value))
    if field.kind == "details":
        return json.loads(value)
    if field.kind == "flag":
        return bool(value)
    return value


def entry_from_row(row: Mapping[Any, Any]) -> AuditEntry:
    return AuditEntry(**{f.name: _attribute(f, row[f.name]) for f in FIELDS})


def checkpoint_from_row(row: Mapping[Any, Any]) -> Checkpoint:
    return Checkpoint(
        seq=int(row["seq"]),
        hash=row["hash"],
        time=utc(row["time"]),
        kind=row["kind"],
        kid=row["kid"],
        jws=row["jws"],
    )


async def read_checkpoints(conn: AsyncConnection) -> list[Checkpoint]:
    result = await conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.seq))
    return [checkpoint_from_row(row) for row in result.mappings()]


async def stream_entries(
    conn: AsyncConnection, *, chunk: int = READ_CHUNK
) -> AsyncIterator[AuditEntry]:
    """Every entry in seq order, read in keyset-paged chunks (constant memory)."""
    after: int | None = None
    while True:
        query = select(audit_entries).order_by(audit_entries.c.seq).limit(chunk)
        if after is not None:
            query = query.where(audit_entries.c.seq > after)
        rows = (await conn.execute(query)).mappings().all()
        for row in rows:
            yield entry_from_row(row)
        if len(rows) < chunk:
            return
        after = int(rows[-1]["seq"])


async def read_head(conn: AsyncConnection) -> ChainHead | None:
    """The chain head row (None if someone deleted it)."""
    row = (
        await conn.execute(
            select(audit_chain_head.c.seq, audit_chain_head.c.hash).where(
                audit_chain_head.c.id == 1
            )
        )
    ).one_or_none()
    return None if row is None else ChainHead(int(row.seq), str(row.hash))


@contextlib.asynccontextmanager
async def snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A read-only connection that sees one consistent state of the log throughout.

    Head, checkpoints and entries must come from the same moment, or appends made
    while reading would look like a cut tail or entries beyond the head. PostgreSQL:
    a REPEATABLE READ, READ ONLY transaction. SQLite (WAL): an explicit BEGIN, so the
    reads share one snapshot instead of each statement taking its own.
    """
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = await conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            async with conn.begin():
                yield conn
            return
        await conn.exec_driver_sql("BEGIN")
        try:
            yield conn
        finally:
            await conn.rollback()


async def verify_stored(
    engine: AsyncEngine, jwks: Mapping[str, Any], witness: Sequence[Checkpoint] = ()
) -> VerifyReport:
    """Verify the chain and checkpoints in the database, and the head, against the public keys.

    `witness`: signed checkpoints kept outside the database; one beyond the chain's end
    shows a tail cut even when the head row and the checkpoint rows were rewritten too.
    """
    async with snapshot(engine) as conn:
        head = await read_head(conn)
        verifier = ChainVerifier([*await read_checkpoints(conn), *witness], jwks)
        async for entry in stream_entries(conn):
            verifier.feed(entry)
    return verifier.finish(head, head_required=True)
