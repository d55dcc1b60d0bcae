"""Audit log tables, on `gateway.storage.tables.metadata`.

`audit_entries`   the hash-chained entries, one column per field of
                  `gateway.audit.fields.FIELDS`; `seq` is assigned by the writer, never by
                  the database, so it is gap-free and the chain order is the key order.
`audit_chain_head` one row (id 1): the last seq and hash, and the last checkpoint.
                  Appends lock it (`FOR UPDATE` on PostgreSQL; the write lock on
                  SQLite), which makes every process extend one linear chain.
                  `pruned_through` is the highest seq retention may delete.
`audit_checkpoints` signed `{seq, hash, time, kind}` statements (JWS), see checkpoints.py.
`audit_once`      one row per (event_type, target_seq) of a review or a lift, written in
                  the same transaction as its entry: the key makes a break-the-glass use
                  reviewed, and a confidential entry lifted, exactly once (migration 0005).

Database triggers (migration 0003) refuse UPDATE of entries and DELETE beyond
`pruned_through`; they guard against accidents, detection guards against intent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)

from gateway.audit.fields import FIELDS, AuditField
from gateway.storage.tables import metadata

__all__ = ["audit_chain_head", "audit_checkpoints", "audit_entries", "audit_once", "metadata"]


def _column_type(field: AuditField) -> Any:
    """The column type of a field's kind (and width)."""
    if field.kind == "int":
        return BigInteger().with_variant(Integer, "sqlite")
    if field.kind == "time":
        return DateTime(timezone=True)
    if field.kind == "flag":
        return Boolean
    if field.kind == "text" and field.width is not None:
        return String(field.width)
    return Text  # long text, and `codes`/`details` as canonical JSON


audit_entries = Table(
    "audit_entries",
    metadata,
    *(
        Column(
            f.name,
            _column_type(f),
            primary_key=f.name == "seq",
            autoincrement=False,
            nullable=f.nullable,
        )
        for f in FIELDS
    ),
    Index("ix_audit_entries_time", "time"),
    Index("ix_audit_entries_requester_org_seq", "requester_org", "seq"),
    Index("ix_audit_entries_source_seq", "source", "seq"),
    Index("ix_audit_entries_subject_seq", "subject", "seq"),
    Index("ix_audit_entries_purpose_seq", "purpose", "seq"),
    Index(  # covering: the misuse signals read only these (migration 0010)
        "ix_audit_entries_signals",
        "time",
        "event_type",
        "requester_org",
        "professional",
        "source",
        "decision",
        "seq",
    ),
    Index(  # partial: see migration 0003 (keeps SQLite's planner on the index)
        "ix_audit_entries_target_seq",
        "target_seq",
        postgresql_where=text("target_seq IS NOT NULL"),
        sqlite_where=text("target_seq IS NOT NULL"),
    ),
    Index(
        "ix_audit_entries_break_glass",
        "seq",
        postgresql_where=text("break_glass"),
        sqlite_where=text("break_glass = 1"),
    ),
    Index(  # the misuse signals' window of break-the-glass uses (migration 0011)
        "ix_audit_entries_break_glass_time",
        "time",
        postgresql_where=text("break_glass"),
        sqlite_where=text("break_glass = 1"),
    ),
)

audit_chain_head = Table(
    "audit_chain_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("checkpoint_seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("checkpoint_time", DateTime(timezone=True)),
    Column("pruned_through", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("hash", String(64), nullable=False),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("kid", String(64), nullable=False),
    Column("jws", Text, nullable=False),
)

audit_once = Table(
    "audit_once",
    metadata,
    Column("event_type", String(64), nullable=False),
    Column("target_seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    PrimaryKeyConstraint("event_type", "target_seq", name="pk_audit_once"),
)
