"""Tables owned by the consent package (its own MetaData; Alembic collects it).

History is never overwritten: a membership, custody relation or contact person
that ends gets its `until_at` set and a new row starts; every change also lands in
the append-only `household_events`; every consent status change lands in the
append-only `consent_events`. People appear only as pseudonyms.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

__all__ = [
    "case_subjects",
    "cases",
    "consent_events",
    "consent_notifications",
    "consent_receipts",
    "consents",
    "custody",
    "household_contacts",
    "household_events",
    "household_members",
    "households",
    "metadata",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

PSEUDONYM = 64

households = Table(
    "households",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("regiehouder", String(128), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # The regiehouder's region at registration: consent to an organisation type covers
    # that type's organisations in this region (NULL for older rows: such a consent
    # then covers only the regions it names).
    Column("region", String(64), nullable=True),
)

household_members = Table(
    "household_members",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("household_id", String(40), ForeignKey("households.id"), nullable=False, index=True),
    Column("person", String(PSEUDONYM), nullable=False, index=True),
    Column("birth_date", Date, nullable=False),
    Column("role", String(32), nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("until_at", DateTime(timezone=True), nullable=True),
)

custody = Table(
    "custody",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("household_id", String(40), ForeignKey("households.id"), nullable=False, index=True),
    Column("parent", String(PSEUDONYM), nullable=False, index=True),
    Column("child", String(PSEUDONYM), nullable=False, index=True),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("until_at", DateTime(timezone=True), nullable=True),
    # When the custody register last confirmed the relation (None: never, so it does
    # not count; see `consent.custody`).
    Column("confirmed_at", DateTime(timezone=True), nullable=True),
)

household_contacts = Table(
    "household_contacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("household_id", String(40), ForeignKey("households.id"), nullable=False, index=True),
    Column("organisation", String(128), nullable=False),
    Column("professional", String(128), nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("until_at", DateTime(timezone=True), nullable=True),
)

household_events = Table(
    "household_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("household_id", String(40), ForeignKey("households.id"), nullable=False, index=True),
    Column("event", String(40), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", JSON, nullable=False),
    Column("detail", JSON, nullable=False),
)

consents = Table(
    "consents",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("subject", String(PSEUDONYM), nullable=False),
    Column("given_by", String(PSEUDONYM), nullable=False, index=True),
    Column("giver_role", String(20), nullable=False),
    Column("decision", String(10), nullable=False),
    Column("status", String(12), nullable=False),
    Column("scope_key", Text, nullable=False),
    Column("purposes", JSON, nullable=False),
    Column("categories", JSON, nullable=False),
    Column("recipient_organisations", JSON, nullable=False),
    Column("recipient_types", JSON, nullable=False),
    Column("source_organisations", JSON, nullable=False),
    Column("source_types", JSON, nullable=False),
    # Regions where `recipient_types` count; NULL or empty: the household's region.
    Column("regions", JSON, nullable=True),
    Column("given_at", DateTime(timezone=True), nullable=False),
    Column("valid_from", DateTime(timezone=True), nullable=False),
    Column("valid_until", DateTime(timezone=True), nullable=True),
    Column("recorded_via", String(10), nullable=False),
    Column("recorded_by", JSON, nullable=False),
    Column("evidence_reference", String(200), nullable=True),
    Column("policy_version", String(80), nullable=False),
    Column("withdrawn_at", DateTime(timezone=True), nullable=True),
    Column("superseded_by", String(40), nullable=True),
    # The consent check reads a subject's live declarations through this index.
    Index("ix_consents_subject_status", "subject", "status"),
)

consent_events = Table(
    "consent_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("consent_id", String(40), ForeignKey("consents.id"), nullable=False, index=True),
    Column("event", String(20), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", JSON, nullable=False),
    Column("detail", JSON, nullable=False),
)

consent_receipts = Table(
    "consent_receipts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("consent_id", String(40), ForeignKey("consents.id"), nullable=False, index=True),
    Column("event", String(20), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("jws", Text, nullable=False),
)

consent_notifications = Table(
    "consent_notifications",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("person", String(PSEUDONYM), nullable=False, index=True),
    Column("consent_id", String(40), ForeignKey("consents.id"), nullable=False),
    Column("event", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("actor", JSON, nullable=False),
    Column("read_at", DateTime(timezone=True), nullable=True),
)

# Cases live here, beside households, because the subject read (`consent.check`)
# folds "which open cases cover this person" into its one statement, and this
# package never imports `gateway`.
cases = Table(
    "cases",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("organisation", String(128), nullable=False),
    Column("reference", String(64), nullable=False),
    Column("status", String(8), nullable=False),  # open | closed
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("opened_by", JSON, nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("closed_by", JSON, nullable=True),
    # One open case per reference and organisation; a closed reference may be reused.
    Index(
        "uq_cases_open_reference",
        "organisation",
        "reference",
        unique=True,
        sqlite_where=text("status = 'open'"),
        postgresql_where=text("status = 'open'"),
    ),
)

case_subjects = Table(
    "case_subjects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=False, index=True),
    Column("subject", String(PSEUDONYM), nullable=False, index=True),
)
