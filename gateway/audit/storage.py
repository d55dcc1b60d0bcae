"""Rows to entries and back, and reading the chain out of the database in order."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway.audit.fields import FIELDS, AuditField
from gateway.audit.model import AuditEntry, Checkpoint
from gateway.audit.tables import audit_chain_head, audit_checkpoints, audit_entries
from gateway.audit.verify import ChainHead, ChainVerifier, VerifyReport
from gateway.errors import AuditEntryUnreadable

__all__ = [
    "CHECKPOINT_COLUMNS",
    "ENTRY_COLUMNS",
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
    "stream_rows",
    "utc",
    "verify_stored",
]

READ_CHUNK = 5000

#: The entry columns as every reader selects them: `time` without SQLAlchemy's result
#: processing, so a SQLite cell rewritten to text that is no time reaches
#: `entry_from_row` (an unreadable entry at its seq) instead of failing the whole fetch.
#: PostgreSQL's driver still returns a datetime (the column is typed there).
ENTRY_COLUMNS = tuple(
    type_coerce(c, String).label("time") if c.name == "time" else c for c in audit_entries.c
)
#: The same for checkpoints (`checkpoint_from_row`: `AuditEntryUnreadable` at its seq).
CHECKPOINT_COLUMNS = tuple(
    type_coerce(c, String).label("time") if c.name == "time" else c for c in audit_checkpoints.c
)


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
        return utc(_time(value))
    if field.kind == "codes":
        return _json_strings(value)
    if field.kind == "details":
        return _json_mapping(value)
    if field.kind == "flag":
        return bool(value)
    return value


def entry_from_row(row: Mapping[Any, Any]) -> AuditEntry:
    """The entry a row holds; `AuditEntryUnreadable` when a column holds what no
    entry keeps there (a rewritten row must be reported at its seq, not crash a reader)."""
    seq = int(row["seq"])
    try:
        return AuditEntry(**{f.name: _attribute(f, row[f.name]) for f in FIELDS})
    except (ValueError, TypeError, AttributeError, RecursionError):
        raise AuditEntryUnreadable(seq) from None


def _json_strings(text: Any) -> tuple[str, ...]:
    values = json.loads(text)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError("not a JSON list of strings")
    return tuple(values)


def _json_mapping(text: Any) -> dict[str, Any]:
    values = json.loads(text)
    if not isinstance(values, dict):
        raise ValueError("not a JSON object")
    return values


def checkpoint_from_row(row: Mapping[Any, Any]) -> Checkpoint:
    """The checkpoint a row holds (`AuditEntryUnreadable` when its time is no time)."""
    seq = int(row["seq"])
    try:
        return Checkpoint(
            seq=seq,
            hash=row["hash"],
            time=utc(_time(row["time"])),
            kind=row["kind"],
            kid=row["kid"],
            jws=row["jws"],
        )
    except (ValueError, TypeError, AttributeError):
        raise AuditEntryUnreadable(seq, "checkpoint") from None


def _time(value: Any) -> datetime:
    """Text on SQLite (the *_COLUMNS selects), a datetime from PostgreSQL."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


async def read_checkpoints(conn: AsyncConnection) -> list[Checkpoint]:
    return [checkpoint_from_row(row) for row in await _checkpoint_rows(conn)]


async def _checkpoint_rows(conn: AsyncConnection) -> list[Mapping[Any, Any]]:
    query = select(*CHECKPOINT_COLUMNS).order_by(audit_checkpoints.c.seq)
    return list((await conn.execute(query)).mappings().all())


async def stream_entries(
    conn: AsyncConnection, *, chunk: int = READ_CHUNK
) -> AsyncIterator[AuditEntry]:
    """Every entry in seq order (`AuditEntryUnreadable` at a row that holds none)."""
    async for row in stream_rows(conn, chunk=chunk):
        yield entry_from_row(row)


async def stream_rows(
    conn: AsyncConnection, *, chunk: int = READ_CHUNK
) -> AsyncIterator[Mapping[Any, Any]]:
    """Every entry row in seq order, read in keyset-paged chunks (constant memory)."""
    after: int | None = None
    while True:
        query = select(*ENTRY_COLUMNS).order_by(audit_entries.c.seq).limit(chunk)
        if after is not None:
            query = query.where(audit_entries.c.seq > after)
        rows = (await conn.execute(query)).mappings().all()
        for row in rows:
            yield row
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
        try:
            head: ChainHead | None = await read_head(conn)
        except (ValueError, TypeError):  # a head row rewritten to text that is no seq
            head = None
            unreadable_head = True
        else:
            unreadable_head = False
        checkpoints: list[Checkpoint] = []
        unreadable: list[int] = []
        for row in await _checkpoint_rows(conn):
            try:
                checkpoints.append(checkpoint_from_row(row))
            except AuditEntryUnreadable as exc:
                unreadable.append(exc.seq)
        verifier = ChainVerifier([*checkpoints, *witness], jwks)
        for seq in unreadable:
            verifier.report(seq, "checkpoint_invalid", f"checkpoint {seq} cannot be read")
        async for row in stream_rows(conn):
            try:
                entry = entry_from_row(row)
            except AuditEntryUnreadable as exc:
                verifier.feed_unreadable(exc.seq, str(row["hash"]))
                continue
            verifier.feed(entry)
    if unreadable_head:
        verifier.report(0, "head_mismatch", "the chain head row cannot be read")
    return verifier.finish(head, head_required=not unreadable_head)
