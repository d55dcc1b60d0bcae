"""Tamper-evident audit log.

Revision ID: 0003_audit
Revises: 0002_consent
Create Date: 2026-11-25
"""

from __future__ import annotations

revision = "0003_audit"
down_revision = "0002_consent"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
