"""Household reads and consent changes land in the tamper-evident audit log."""

from __future__ import annotations

from typing import Any

from consent_support import MOTHER, Client, consent_body
from sqlalchemy import select
from support import GatewayFixture

from gateway.audit.tables import audit_entries
from gateway.storage.db import create_engine

WIJKTEAM, GI = "wijkteam-utrecht", "gi-jeugdbescherming-demo"


async def entries(database_url: str) -> list[Any]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return list(await conn.execute(select(audit_entries).order_by(audit_entries.c.seq)))
    finally:
        await engine.dispose()


async def test_reads_registrations_and_consents_are_audited(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    path = f"/api/v1/households/{household['id']}"
    assert (await client.get(path, headers=gateway.auth(WIJKTEAM))).status == 200
    denied = await client.get(path + "?purpose=support_planning", headers=gateway.auth(GI))
    assert denied.status == 404
    created = await client.post(
        "/api/v1/consents", json=consent_body(MOTHER), headers=gateway.auth(WIJKTEAM)
    )
    consent_id = (await created.json())["id"]
    await client.post(
        f"/api/v1/consents/{consent_id}/withdraw",
        json={"evidence_reference": "letter"},
        headers=gateway.auth(WIJKTEAM),
    )
    rows = await entries(gateway.settings.database_url)
    summary = [(r.event_type, r.requester_org, r.decision, r.outcome) for r in rows]
    assert summary == [
        ("household.registered", WIJKTEAM, None, None),
        ("household.read_by_organisation", WIJKTEAM, "permit", "returned"),
        ("household.read_by_organisation", GI, "deny", "denied"),
        ("consent.recorded_on_paper", WIJKTEAM, "permit", None),
        ("consent.withdrawn", WIJKTEAM, "permit", None),
    ]
    read = rows[1]
    assert (read.household, read.category, read.reason) == (
        household["id"],
        "household_composition",
        "regiehouder",
    )
    assert consent_id in rows[3].consent_ids
    assert all(MOTHER not in str(tuple(r)) for r in rows)  # pseudonyms only, never a BSN


async def test_listing_someones_consents_is_audited_permit_or_deny(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    """Reading a person's consents is a data access like any other: logged before the
    answer, also when it is refused (and then nothing is returned)."""
    path = f"/api/v1/consents?subject={MOTHER}&purpose=support_planning"
    assert (await client.get(path, headers=gateway.auth(WIJKTEAM))).status == 200
    assert (await client.get(path, headers=gateway.auth(GI))).status == 404
    rows = [
        r for r in await entries(gateway.settings.database_url) if r.event_type == "consent.listed"
    ]
    assert [(r.requester_org, r.decision, r.outcome) for r in rows] == [
        (WIJKTEAM, "permit", "returned"),
        (GI, "deny", "denied"),
    ]
    assert rows[0].household == household["id"] and rows[1].household is None
    assert rows[0].subject == rows[1].subject and rows[0].subject.startswith("ps_")
    assert all(MOTHER not in str(tuple(r)) for r in rows)


async def test_each_household_write_and_read_is_logged_as_what_happened(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    """A change is not a registration, a household read or a consent listing not an
    exchange decision; the privacy officer's `event_type` filter tells them apart."""
    changed = await client.post(
        f"/api/v1/households/{household['id']}/changes",
        json={"change": "contact_person_changed", "contact_person": {"professional": "prof-7"}},
        headers=gateway.auth(WIJKTEAM),
    )
    assert changed.status == 200, await changed.text()
    path = f"/api/v1/households/{household['id']}"
    assert (await client.get(path, headers=gateway.auth(WIJKTEAM))).status == 200
    consents = f"/api/v1/consents?subject={MOTHER}&purpose=support_planning"
    assert (await client.get(consents, headers=gateway.auth(WIJKTEAM))).status == 200
    rows = await entries(gateway.settings.database_url)
    assert [(r.event_type, r.details) for r in rows] == [
        ("household.registered", '{"event":"registered"}'),
        ("household.changed", '{"event":"contact_person_changed"}'),
        ("household.read_by_organisation", "{}"),
        ("consent.listed", "{}"),
    ]
    found = {}
    for event_type in (
        "household.registered",
        "household.changed",
        "household.read_by_organisation",
        "consent.listed",
        "exchange.decision",
    ):
        response = await client.get(
            f"/api/v1/audit/entries?event_type={event_type}",
            headers=gateway.auth(WIJKTEAM, "privacy_officer"),
        )
        assert response.status == 200, await response.text()
        found[event_type] = [e["seq"] for e in (await response.json())["entries"]]
    assert found == {
        "household.registered": [rows[0].seq],
        "household.changed": [rows[1].seq],
        "household.read_by_organisation": [rows[2].seq],
        "consent.listed": [rows[3].seq],
        "exchange.decision": [],
    }
