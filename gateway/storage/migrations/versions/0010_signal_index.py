"""Misuse signals: a covering index over the columns the signal queries read, so the
per-professional aggregates of the signal window are read from the index alone
(bench/officer_signals.py: about half the time at 1M entries). One more index on the
append path; it holds codes only, like the entries.

Revision ID: 0010_signal_index
Revises: 0009_officer_sessions
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0010_signal_index"
down_revision = "0009_officer_sessions"
branch_labels = None
depends_on = None

COLUMNS = ["time", "event_type", "requester_org", "professional", "source", "decision", "seq"]


def upgrade() -> None:
    op.create_index("ix_audit_entries_signals", "audit_entries", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_audit_entries_signals", table_name="audit_entries")
