"""Misuse signals: the break-the-glass uses of the signal window found by time.

`ix_audit_entries_break_glass` (0003) is on `seq`, so the signal "break-the-glass
without a later regular basis" read every break-the-glass use of the whole log to keep
those of the window: its cost grew with the log, not the window. This partial index on
`time` holds only the break-the-glass entries (about 1% of them), so it adds little to
the append path (at 1M entries on SQLite that query took 18 ms instead of 34 ms for a
regional officer, and stays bounded by the window as the log grows).

Revision ID: 0011_break_glass_time
Revises: 0010_signal_index
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_break_glass_time"
down_revision = "0010_signal_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_entries_break_glass_time",
        "audit_entries",
        ["time"],
        postgresql_where=sa.text("break_glass"),
        sqlite_where=sa.text("break_glass = 1"),
    )


def downgrade() -> None:
    op.drop_index("ix_audit_entries_break_glass_time", table_name="audit_entries")
