"""Portal sessions: last-seen time (idle timeout) and the OIDC login states.

Revision ID: 0007_portal_sessions
Revises: 0006 (re-chained by the lead at merge time)
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_portal_sessions"
down_revision = "0006"  # 0006_cases
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("household_sessions") as batch:
        batch.add_column(sa.Column("last_seen_at", TZ, nullable=True))
    op.execute("UPDATE household_sessions SET last_seen_at = created_at")
    with op.batch_alter_table("household_sessions") as batch:
        batch.alter_column("last_seen_at", existing_type=TZ, nullable=False)
    op.create_table(
        "login_states",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(128), nullable=False),
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name="pk_login_states"),
    )
    op.create_index("ix_login_states_expires_at", "login_states", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_login_states_expires_at", table_name="login_states")
    op.drop_table("login_states")
    with op.batch_alter_table("household_sessions") as batch:
        batch.drop_column("last_seen_at")
