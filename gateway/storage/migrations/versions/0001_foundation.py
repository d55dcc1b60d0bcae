"""Foundation: the shared token replay cache.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "replay_cache",
        sa.Column("issuer", sa.String(128), nullable=False),
        sa.Column("jti", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("issuer", "jti", name="pk_replay_cache"),
    )
    op.create_index("ix_replay_cache_expires_at", "replay_cache", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_replay_cache_expires_at", table_name="replay_cache")
    op.drop_table("replay_cache")
