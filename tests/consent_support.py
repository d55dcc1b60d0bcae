"""Helpers for the household and consent tests: synthetic people, bodies, row counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select
from strategies import bsn_from_digits

from consent import Actor, ConsentScope, RequesterRef, SourceRef
from consent.tables import (
    consent_events,
    consent_notifications,
    consent_receipts,
    consents,
    custody,
    household_contacts,
    household_events,
    household_members,
    households,
)
from gateway.audit.tables import audit_chain_head, audit_entries, audit_once
from gateway.storage.db import create_engine

Client = TestClient[web.Request, web.Application]


def bsn(digits: str) -> str:
    value = bsn_from_digits(digits)
    assert value is not None, digits
    return value


MOTHER = bsn("0001")
FATHER = bsn("0007")  # no custody in the standard household
CHILD_8 = bsn("0003")
CHILD_13 = bsn("0004")
TEEN_17 = bsn("0005")
OUTSIDER = bsn("0006")  # valid, in no household
SECOND_PARENT = bsn("0008")  # shares custody of CHILD_6 with MOTHER (register)
CHILD_6 = bsn("0010")  # not in the standard household
TODAY = datetime.now(UTC).date()


def years_ago(years: int, days: int = 0) -> str:
    try:
        anchor = TODAY.replace(year=TODAY.year - years)
    except ValueError:
        anchor = date(TODAY.year - years, 2, 28)
    return (anchor - timedelta(days=days)).isoformat()


def household_body() -> dict[str, Any]:
    return {
        "members": [
            {"bsn": MOTHER, "birth_date": years_ago(40), "role": "parent"},
            {"bsn": FATHER, "birth_date": years_ago(42), "role": "parent"},
            {"bsn": CHILD_8, "birth_date": years_ago(8), "role": "child"},
            {"bsn": CHILD_13, "birth_date": years_ago(13), "role": "child"},
            {"bsn": TEEN_17, "birth_date": years_ago(17), "role": "child"},
        ],
        "custody": [
            {"parent": MOTHER, "child": CHILD_8},
            {"parent": MOTHER, "child": CHILD_13},
            {"parent": MOTHER, "child": TEEN_17},
        ],
        "contact_person": {"professional": "prof-0042"},
    }


def consent_body(subject: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": {"bsn": subject},
        "purposes": ["support_planning"],
        "categories": ["support_plan", "household_composition"],
        "recipients": {"types": ["wijkteam"]},
        "evidence_reference": "paper-form-2026-001",
    }
    body.update(extra)
    return body


async def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    body: dict[str, Any] = await response.json()
    assert (response.status, body.get("code")) == (status, code), body
    assert response.content_type == "application/problem+json"
    return body


async def count_rows(database_url: str) -> tuple[int, int]:
    """(households, consents): to show that a refused request wrote nothing."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            h = (await conn.execute(select(func.count()).select_from(households))).scalar_one()
            c = (await conn.execute(select(func.count()).select_from(consents))).scalar_one()
    finally:
        await engine.dispose()
    return int(h), int(c)


# -- store-level references (tests that use the consent stores directly) ----------------

WIJKTEAM_REF = RequesterRef("wijkteam-utrecht", "wijkteam", "utrecht")
GI_REF = RequesterRef("gi-jeugdbescherming-demo", "gi", "utrecht")
VEILIG_THUIS_SOURCE = SourceRef("veilig-thuis-utrecht", "veilig_thuis")
PROFESSIONAL = Actor("professional", organisation="wijkteam-utrecht", professional="p-1")
SUPPORT_PLANNING_SCOPE = ConsentScope(
    purposes=frozenset({"support_planning"}),
    categories=frozenset({"support_plan", "school"}),
    recipient_types=frozenset({"wijkteam"}),
)
T0 = datetime(2026, 1, 10, 9, tzinfo=UTC)


# -- what a refused write must leave untouched -------------------------------------------


async def snapshot(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table a household, consent or audit write touches."""
    tables = (
        households, household_members, custody, household_contacts, household_events,
        consents, consent_events, consent_receipts, consent_notifications,
        audit_entries, audit_chain_head, audit_once,
    )  # fmt: skip
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            found: dict[str, list[tuple[Any, ...]]] = {}
            for table in tables:
                rows = await conn.execute(select(table).order_by(*table.primary_key.columns))
                found[table.name] = [tuple(row) for row in rows]
    finally:
        await engine.dispose()
    return found
