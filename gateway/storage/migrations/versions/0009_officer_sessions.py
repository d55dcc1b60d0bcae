"""Privacy-officer console sessions: their own table (never a household session), the
officer's configured identity, organisation and role, with idle and absolute ends.

Revision ID: 0009_officer_sessions
Revises: 0008_portal_visits (re-chained by the lead at merge time)
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_officer_sessions"
down_revision = "0008_portal_visits"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "officer_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("officer_id", sa.String(200), nullable=False),
        sa.Column("organisation", sa.String(100), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("last_seen_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_officer_sessions"),
    )
    op.create_index("ix_officer_sessions_expires_at", "officer_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_officer_sessions_expires_at", table_name="officer_sessions")
    op.drop_table("officer_sessions")
