"""Households, custody and consent.

Revision ID: 0002_consent
Revises: 0001_foundation
Create Date: 2026-11-25
"""

from __future__ import annotations

revision = "0002_consent"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
