"""A break-the-glass use is reviewed, and a confidential entry lifted, exactly once.

`audit_once` holds one row per (event_type, target_seq), written in the same
transaction as the review's or lift's audit entry; its primary key refuses a second
one however many requests race. Existing reviews and lifts are claimed on upgrade
(the earliest entry per target; any older duplicate stays in the chain as written).

Revision ID: 0005
Revises: 0003_audit
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"  # 0004_custody_confirmation
branch_labels = None
depends_on = None

_ONCE = ("audit.break_glass_review", "audit.confidentiality_lifted")


def _seq() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_once",
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("target_seq", _seq(), nullable=False),
        sa.Column("seq", _seq(), nullable=False),
        sa.PrimaryKeyConstraint("event_type", "target_seq", name="pk_audit_once"),
    )
    op.execute(
        sa.text(
            "INSERT INTO audit_once (event_type, target_seq, seq) "
            "SELECT event_type, target_seq, MIN(seq) FROM audit_entries "
            "WHERE event_type IN (:review, :lift) AND target_seq IS NOT NULL "
            "GROUP BY event_type, target_seq"
        ).bindparams(review=_ONCE[0], lift=_ONCE[1])
    )


def downgrade() -> None:
    op.drop_table("audit_once")
