"""The household portal: each member's last visit of the access log ("new since your
last visit"), and the session's BSN, sealed with a key derived from the session token
(which is never stored), so that the portal can ask the sources about the person.

Revision ID: 0008_portal_visits
Revises: 0007_portal_sessions
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_portal_visits"
down_revision = "0007_portal_sessions"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "portal_visits",
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("previous_visit_at", TZ, nullable=True),
        sa.Column("last_visit_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("person", name="pk_portal_visits"),
    )
    with op.batch_alter_table("household_sessions") as batch:
        batch.add_column(sa.Column("bsn_sealed", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("household_sessions") as batch:
        batch.drop_column("bsn_sealed")
    op.drop_table("portal_visits")
