"""Registered cases (and the subjects they cover); the household's region; consent regions.

Revision ID: 0006
Revises: 0003_audit (re-chained by the lead at merge time)
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"  # 0005_review_once
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("organisation", sa.String(128), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("opened_at", TZ, nullable=False),
        sa.Column("opened_by", sa.JSON(), nullable=False),
        sa.Column("closed_at", TZ, nullable=True),
        sa.Column("closed_by", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
    )
    op.create_index(
        "uq_cases_open_reference",
        "cases",
        ["organisation", "reference"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "case_subjects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_subjects_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_case_subjects"),
    )
    op.create_index("ix_case_subjects_case_id", "case_subjects", ["case_id"])
    op.create_index("ix_case_subjects_subject", "case_subjects", ["subject"])
    with op.batch_alter_table("households") as batch:
        batch.add_column(sa.Column("region", sa.String(64), nullable=True))
    with op.batch_alter_table("consents") as batch:
        batch.add_column(sa.Column("regions", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consents") as batch:
        batch.drop_column("regions")
    with op.batch_alter_table("households") as batch:
        batch.drop_column("region")
    op.drop_index("ix_case_subjects_subject", table_name="case_subjects")
    op.drop_index("ix_case_subjects_case_id", table_name="case_subjects")
    op.drop_table("case_subjects")
    op.drop_index("uq_cases_open_reference", table_name="cases")
    op.drop_table("cases")
