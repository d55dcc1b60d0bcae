"""Tamper-evident audit log.

Revision ID: 0003_audit
Revises: 0002_consent
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_audit"
down_revision = "0002_consent"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64


def _seq() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("seq", _seq(), nullable=False, autoincrement=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(200), nullable=False),
        sa.Column("trace_id", sa.String(200)),
        sa.Column("requester_org", sa.String(200)),
        sa.Column("professional", sa.String(200)),
        sa.Column("role", sa.String(200)),
        sa.Column("subject", sa.String(200)),
        sa.Column("household", sa.String(200)),
        sa.Column("purpose", sa.String(200)),
        sa.Column("source", sa.String(200)),
        sa.Column("category", sa.String(200)),
        sa.Column("decision", sa.String(16)),
        sa.Column("reason", sa.String(200)),
        sa.Column("rule_ids", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.String(200)),
        sa.Column("consent_ids", sa.Text(), nullable=False),
        sa.Column("policy_version", sa.String(200)),
        sa.Column("break_glass", sa.Boolean(), nullable=False),
        sa.Column("justification_ct", sa.Text()),
        sa.Column("justification_kid", sa.String(64)),
        sa.Column("outcome", sa.String(16)),
        sa.Column("confidentiality", sa.String(16), nullable=False),
        sa.Column("target_seq", _seq()),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_entries"),
    )
    op.create_index("ix_audit_entries_time", "audit_entries", ["time"])
    op.create_index("ix_audit_entries_requester_org_seq", "audit_entries", ["requester_org", "seq"])
    op.create_index("ix_audit_entries_source_seq", "audit_entries", ["source", "seq"])
    op.create_index("ix_audit_entries_subject_seq", "audit_entries", ["subject", "seq"])
    op.create_index("ix_audit_entries_purpose_seq", "audit_entries", ["purpose", "seq"])
    # Partial: nearly every entry has no target, and a full index's statistics then
    # make SQLite's planner scan the table for "was this entry reviewed?".
    op.create_index(
        "ix_audit_entries_target_seq",
        "audit_entries",
        ["target_seq"],
        postgresql_where=sa.text("target_seq IS NOT NULL"),
        sqlite_where=sa.text("target_seq IS NOT NULL"),
    )
    op.create_index(
        "ix_audit_entries_break_glass",
        "audit_entries",
        ["seq"],
        postgresql_where=sa.text("break_glass"),
        sqlite_where=sa.text("break_glass = 1"),
    )
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("seq", _seq(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("checkpoint_seq", _seq(), nullable=False),
        sa.Column("checkpoint_time", sa.DateTime(timezone=True)),
        sa.Column("pruned_through", _seq(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_chain_head"),
    )
    op.bulk_insert(
        head,
        [{"id": 1, "seq": 0, "hash": GENESIS_HASH, "checkpoint_seq": 0, "pruned_through": 0}],
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("seq", _seq(), nullable=False, autoincrement=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("jws", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_checkpoints"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_guards()
    else:
        _sqlite_guards()


def _postgresql_guards() -> None:
    op.execute(
        """
        CREATE FUNCTION audit_append_only() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' AND OLD.seq <= (SELECT pruned_through FROM audit_chain_head
                                                WHERE id = 1) THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION 'audit log is append-only (% on %)', TG_OP, TG_TABLE_NAME;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    for table in ("audit_entries", "audit_checkpoints"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )


def _sqlite_guards() -> None:
    for table in ("audit_entries", "audit_checkpoints"):
        op.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "  # noqa: S608 (fixed names)
            "WHEN OLD.seq > (SELECT pruned_through FROM audit_chain_head WHERE id = 1) "
            "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("audit_entries", "audit_checkpoints"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
    else:
        for table in ("audit_entries", "audit_checkpoints"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_chain_head")
    for name in (
        "ix_audit_entries_break_glass",
        "ix_audit_entries_target_seq",
        "ix_audit_entries_purpose_seq",
        "ix_audit_entries_subject_seq",
        "ix_audit_entries_source_seq",
        "ix_audit_entries_requester_org_seq",
        "ix_audit_entries_time",
    ):
        op.drop_index(name, table_name="audit_entries")
    op.drop_table("audit_entries")
