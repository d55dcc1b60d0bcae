"""Case references mean something: a rule that needs one holds only for the requester's
open, registered case covering the subject. Over real HTTP, on both engines."""

from __future__ import annotations

import json
from typing import Any

from consent_support import assert_problem
from deployment import Deployment
from sqlalchemy import select

from gateway.appkeys import ENGINE, HOUSEHOLDS, PSEUDONYMISER
from gateway.audit.tables import audit_entries
from gateway.demo.seed import DEMO_CASES

GI = "gi-jeugdbescherming-demo"
RVDK = "rvdk-midden-nederland"
GI_CASE = next(reference for kind, reference, _ in DEMO_CASES if kind == "gi")
RVDK_CASE = next(reference for kind, reference, _ in DEMO_CASES if kind == "rvdk")


def measure(bsn: str, case_reference: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": {"bsn": bsn},
        "purpose": "protection_measure_execution",
        "categories": ["contact_details"],
    }
    if case_reference is not None:
        body["case_reference"] = case_reference
    return body


async def results(deployment: Deployment, org: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = await deployment.exchange(org, body)
    assert response.status == 200, await response.text()
    answer: dict[str, Any] = await response.json()
    assert answer["results"]
    return list(answer["results"])


def details(value: Any) -> dict[str, Any]:
    """An entry's details as stored (a JSON string on SQLite, an object on PostgreSQL)."""
    parsed: dict[str, Any] = json.loads(value) if isinstance(value, str) else dict(value)
    return parsed


def denied_for_want_of_a_case(items: list[dict[str, Any]]) -> bool:
    return all(
        (r["decision"], r["reason"]) == ("deny", "case_reference_required") and "records" not in r
        for r in items
    )


async def open_case(
    deployment: Deployment, org: str, reference: str, *bsns: str, status: int = 201
) -> dict[str, Any]:
    response = await deployment.client.post(
        "/api/v1/cases",
        json={"reference": reference, "subjects": [{"bsn": b} for b in bsns]},
        headers=deployment.gateway.auth(org),
    )
    assert response.status == status, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def test_invented_case_reference_is_denied_where_a_rule_demands_a_case(
    deployment: Deployment,
) -> None:
    child = deployment.population.scenario("child_under_ots")
    items = await results(deployment, GI, measure(child.bsn, "GI-INVENTED-0001"))
    assert denied_for_want_of_a_case(items)
    assert "zaak" in items[0]["explanation"]["nl"]
    assert "registered" in items[0]["explanation"]["en"]


async def test_no_case_reference_at_all_is_denied_where_a_rule_demands_a_case(
    deployment: Deployment,
) -> None:
    child = deployment.population.scenario("child_under_ots")
    assert denied_for_want_of_a_case(await results(deployment, GI, measure(child.bsn, None)))


async def test_requesters_open_case_covering_the_subject_permits(deployment: Deployment) -> None:
    child = deployment.population.scenario("child_under_ots")
    items = await results(deployment, GI, measure(child.bsn, GI_CASE))
    assert all(r["decision"] == "permit" for r in items), items
    assert any(r.get("records") for r in items)
    subject = deployment.app[PSEUDONYMISER].pseudonym(child.bsn)
    async with deployment.app[ENGINE].connect() as conn:
        rows = (
            await conn.execute(
                select(audit_entries.c.details).where(
                    audit_entries.c.subject == subject,
                    audit_entries.c.event_type == "exchange.decision",
                    audit_entries.c.requester_org == GI,
                )
            )
        ).all()
    # Every entry names the registered case the reference resolved to.
    assert rows
    assert all(str(details(row.details)["case_id"]).startswith("case_") for row in rows)


async def test_another_organisations_case_does_not_count(deployment: Deployment) -> None:
    child = deployment.population.scenario("rvdk_investigation")
    # The Raad's case covers this child; the GI quoting its reference gains nothing.
    items = await results(deployment, GI, measure(child.bsn, RVDK_CASE))
    assert denied_for_want_of_a_case(items)
    # And the Raad's own exchange under its case is permitted.
    raad = await results(
        deployment,
        RVDK,
        {
            "subject": {"bsn": child.bsn},
            "purpose": "child_protection_investigation",
            "categories": ["contact_details"],
            "case_reference": RVDK_CASE,
        },
    )
    assert all(r["decision"] == "permit" for r in raad), raad


async def test_case_not_covering_the_subject_does_not_count(deployment: Deployment) -> None:
    other = deployment.population.scenario("vt_report_subject")
    items = await results(deployment, GI, measure(other.bsn, GI_CASE))
    assert denied_for_want_of_a_case(items)


async def test_closed_case_no_longer_counts(deployment: Deployment) -> None:
    child = deployment.population.scenario("child_16_17")
    case = await open_case(deployment, GI, "GI-2026-0777", child.bsn)
    assert case["status"] == "open"
    permitted = await results(deployment, GI, measure(child.bsn, "GI-2026-0777"))
    assert all(r["decision"] == "permit" for r in permitted)
    closed = await deployment.client.post(
        f"/api/v1/cases/{case['id']}/close", headers=deployment.gateway.auth(GI)
    )
    assert closed.status == 200
    assert (await closed.json())["status"] == "closed"
    assert denied_for_want_of_a_case(
        await results(deployment, GI, measure(child.bsn, "GI-2026-0777"))
    )
    again = await deployment.client.post(
        f"/api/v1/cases/{case['id']}/close", headers=deployment.gateway.auth(GI)
    )
    await assert_problem(again, 409, "case_already_closed")
    # A closed case's reference may be used for a new case.
    reopened = await open_case(deployment, GI, "GI-2026-0777", child.bsn)
    assert reopened["id"] != case["id"]


async def test_a_household_read_needs_the_callers_open_case_covering_a_member(
    deployment: Deployment,
) -> None:
    child = deployment.population.scenario("rvdk_investigation")
    # The household the child lives in (its regiehouder is the GI, not the Raad).
    household_id = await deployment.app[HOUSEHOLDS].households_of(
        deployment.app[PSEUDONYMISER].pseudonym(child.bsn)
    )
    url = f"/api/v1/households/{household_id[0]}?purpose=child_protection_investigation"
    headers = deployment.gateway.auth
    invented = await deployment.client.get(
        url + "&case_reference=RVDK-INVENTED", headers=headers(RVDK)
    )
    await assert_problem(invented, 404, "not_found")
    with_case = await deployment.client.get(
        url + f"&case_reference={RVDK_CASE}", headers=headers(RVDK)
    )
    assert with_case.status == 200, await with_case.text()
    async with deployment.app[ENGINE].connect() as conn:
        reasons = [
            (row.decision, row.reason, details(row.details).get("case_id"))
            for row in await conn.execute(
                select(audit_entries)
                .where(
                    audit_entries.c.household == household_id[0],
                    audit_entries.c.requester_org == RVDK,
                )
                .order_by(audit_entries.c.seq)
            )
        ]
    assert reasons[0] == ("deny", "case_reference_required", None)
    assert reasons[1][:2] == ("permit", "permitted") and reasons[1][2]
