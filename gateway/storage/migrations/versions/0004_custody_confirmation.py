"""Custody confirmed by the custody register: when each relation was last confirmed.

A relation without `confirmed_at` (registered before this revision, on assertion)
is never fresh: the next exchange that carries the child's BSN re-reads it from the
register, and until then it counts for nothing where consent is recorded.

Revision ID: 0004
Revises: 0003_audit
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("custody") as batch:
        batch.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("custody") as batch:
        batch.drop_column("confirmed_at")
