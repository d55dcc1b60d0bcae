"""Households, custody and consent; household portal sessions.

Revision ID: 0002_consent
Revises: 0001_foundation
Create Date: 2026-11-25
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002_consent"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _history(name: str, *columns: sa.Column[Any]) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("household_id", sa.String(40), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=f"fk_{name}_household_id_households"
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
    )
    op.create_index(f"ix_{name}_household_id", name, ["household_id"])


def upgrade() -> None:
    op.create_table(
        "households",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("regiehouder", sa.String(128), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_households"),
    )
    op.create_index("ix_households_regiehouder", "households", ["regiehouder"])
    _history(
        "household_members",
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("since", TZ, nullable=False),
        sa.Column("until_at", TZ, nullable=True),
    )
    op.create_index("ix_household_members_person", "household_members", ["person"])
    _history(
        "custody",
        sa.Column("parent", sa.String(64), nullable=False),
        sa.Column("child", sa.String(64), nullable=False),
        sa.Column("since", TZ, nullable=False),
        sa.Column("until_at", TZ, nullable=True),
    )
    op.create_index("ix_custody_parent", "custody", ["parent"])
    op.create_index("ix_custody_child", "custody", ["child"])
    _history(
        "household_contacts",
        sa.Column("organisation", sa.String(128), nullable=False),
        sa.Column("professional", sa.String(128), nullable=False),
        sa.Column("since", TZ, nullable=False),
        sa.Column("until_at", TZ, nullable=True),
    )
    _history(
        "household_events",
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("given_by", sa.String(64), nullable=False),
        sa.Column("giver_role", sa.String(20), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("scope_key", sa.Text(), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("recipient_organisations", sa.JSON(), nullable=False),
        sa.Column("recipient_types", sa.JSON(), nullable=False),
        sa.Column("source_organisations", sa.JSON(), nullable=False),
        sa.Column("source_types", sa.JSON(), nullable=False),
        sa.Column("given_at", TZ, nullable=False),
        sa.Column("valid_from", TZ, nullable=False),
        sa.Column("valid_until", TZ, nullable=True),
        sa.Column("recorded_via", sa.String(10), nullable=False),
        sa.Column("recorded_by", sa.JSON(), nullable=False),
        sa.Column("evidence_reference", sa.String(200), nullable=True),
        sa.Column("policy_version", sa.String(80), nullable=False),
        sa.Column("withdrawn_at", TZ, nullable=True),
        sa.Column("superseded_by", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_consents"),
    )
    op.create_index("ix_consents_subject_status", "consents", ["subject", "status"])
    op.create_index("ix_consents_given_by", "consents", ["given_by"])
    tables: tuple[tuple[str, list[sa.Column[Any]]], ...] = (
        (
            "consent_events",
            [
                sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
                sa.Column("consent_id", sa.String(40), nullable=False),
                sa.Column("event", sa.String(20), nullable=False),
                sa.Column("at", TZ, nullable=False),
                sa.Column("actor", sa.JSON(), nullable=False),
                sa.Column("detail", sa.JSON(), nullable=False),
            ],
        ),
        (
            "consent_receipts",
            [
                sa.Column("id", sa.String(40), nullable=False),
                sa.Column("consent_id", sa.String(40), nullable=False),
                sa.Column("event", sa.String(20), nullable=False),
                sa.Column("issued_at", TZ, nullable=False),
                sa.Column("jws", sa.Text(), nullable=False),
            ],
        ),
    )
    for name, columns in tables:
        op.create_table(
            name,
            *columns,
            sa.ForeignKeyConstraint(
                ["consent_id"], ["consents.id"], name=f"fk_{name}_consent_id_consents"
            ),
            sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
        )
        op.create_index(f"ix_{name}_consent_id", name, ["consent_id"])
    op.create_table(
        "consent_notifications",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("consent_id", sa.String(40), nullable=False),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("actor", sa.JSON(), nullable=False),
        sa.Column("read_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["consents.id"], name="fk_consent_notifications_consent_id_consents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_consent_notifications"),
    )
    op.create_index("ix_consent_notifications_person", "consent_notifications", ["person"])
    op.create_table(
        "household_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("household_id", sa.String(40), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_household_sessions"),
    )
    op.create_index("ix_household_sessions_person", "household_sessions", ["person"])
    op.create_index("ix_household_sessions_expires_at", "household_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_household_sessions_expires_at", table_name="household_sessions")
    op.drop_index("ix_household_sessions_person", table_name="household_sessions")
    op.drop_table("household_sessions")
    op.drop_index("ix_consent_notifications_person", table_name="consent_notifications")
    op.drop_table("consent_notifications")
    for name in ("consent_receipts", "consent_events"):
        op.drop_index(f"ix_{name}_consent_id", table_name=name)
        op.drop_table(name)
    op.drop_index("ix_consents_given_by", table_name="consents")
    op.drop_index("ix_consents_subject_status", table_name="consents")
    op.drop_table("consents")
    op.drop_index("ix_custody_child", table_name="custody")
    op.drop_index("ix_custody_parent", table_name="custody")
    op.drop_index("ix_household_members_person", table_name="household_members")
    for name in ("household_events", "household_contacts", "custody", "household_members"):
        op.drop_index(f"ix_{name}_household_id", table_name=name)
        op.drop_table(name)
    op.drop_index("ix_households_regiehouder", table_name="households")
    op.drop_table("households")
