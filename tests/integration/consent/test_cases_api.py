"""`/api/v1/cases`: registering, reading and closing cases; audited; owner only."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from consent_support import CHILD_8, CHILD_13, MOTHER, Client, assert_problem
from sqlalchemy import func, select, text
from support import GatewayFixture

from consent import Actor, SqlCaseStore
from consent.tables import cases
from gateway.appkeys import CASES, CONSENTS, ENGINE, PSEUDONYMISER
from gateway.audit.tables import audit_entries

GI = "gi-jeugdbescherming-demo"
RVDK = "rvdk-midden-nederland"


def case_body(reference: str = "GI-2026-0042", *bsns: str) -> dict[str, Any]:
    return {"reference": reference, "subjects": [{"bsn": b} for b in bsns or (CHILD_8,)]}


async def entries(client: Client, event_type: str) -> list[Any]:
    async with client.app[ENGINE].connect() as conn:
        rows = await conn.execute(
            select(audit_entries)
            .where(audit_entries.c.event_type == event_type)
            .order_by(audit_entries.c.seq)
        )
        return list(rows)


async def case_rows(client: Client) -> int:
    async with client.app[ENGINE].connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(cases))).scalar_one())


async def test_case_open_and_close_are_audited_per_person_without_the_reference(
    client: Client, gateway: GatewayFixture
) -> None:
    opened = await client.post(
        "/api/v1/cases",
        json=case_body("GI-2026-0042", CHILD_8, CHILD_13),
        headers=gateway.auth(GI),
    )
    assert opened.status == 201, await opened.text()
    case = await opened.json()
    pseudonym = client.app[PSEUDONYMISER].pseudonym
    assert case["subjects"] == [pseudonym(CHILD_8), pseudonym(CHILD_13)]
    assert (case["organisation"], case["status"], case["closed_at"]) == (GI, "open", None)
    logged = await entries(client, "case.opened")
    assert [(e.subject, e.requester_org) for e in logged] == [
        (pseudonym(CHILD_8), GI),
        (pseudonym(CHILD_13), GI),
    ]
    for entry in logged:
        text = json.dumps([str(v) for v in entry])
        assert case["id"] in text
        assert "GI-2026-0042" not in text and CHILD_8 not in text
    closed = await client.post(f"/api/v1/cases/{case['id']}/close", headers=gateway.auth(GI))
    assert closed.status == 200
    body = await closed.json()
    assert body["status"] == "closed" and body["closed_at"]
    assert [e.subject for e in await entries(client, "case.closed")] == case["subjects"]


async def test_only_the_owning_organisation_sees_or_closes_its_case(
    client: Client, gateway: GatewayFixture
) -> None:
    opened = await client.post("/api/v1/cases", json=case_body(), headers=gateway.auth(GI))
    case_id = (await opened.json())["id"]
    own = await client.get(f"/api/v1/cases/{case_id}", headers=gateway.auth(GI))
    assert own.status == 200 and (await own.json())["reference"] == "GI-2026-0042"
    other = await client.get(f"/api/v1/cases/{case_id}", headers=gateway.auth(RVDK))
    unknown = await client.get(
        "/api/v1/cases/case_000000000000000000000000", headers=gateway.auth(RVDK)
    )
    # The same answer for another organisation's case as for no case at all.
    assert (await assert_problem(other, 404, "not_found"))["detail"] == (
        await assert_problem(unknown, 404, "not_found")
    )["detail"]
    closing = await client.post(f"/api/v1/cases/{case_id}/close", headers=gateway.auth(RVDK))
    await assert_problem(closing, 404, "not_found")
    assert (await (await client.get(f"/api/v1/cases/{case_id}", headers=gateway.auth(GI))).json())[
        "status"
    ] == "open"
    assert await entries(client, "case.closed") == []


async def test_one_open_case_per_reference_and_organisation(
    client: Client, gateway: GatewayFixture
) -> None:
    first = await client.post("/api/v1/cases", json=case_body(), headers=gateway.auth(GI))
    assert first.status == 201
    again = await client.post(
        "/api/v1/cases", json=case_body("GI-2026-0042", MOTHER), headers=gateway.auth(GI)
    )
    await assert_problem(again, 409, "case_reference_in_use")
    # Another organisation's numbering is its own.
    raad = await client.post("/api/v1/cases", json=case_body(), headers=gateway.auth(RVDK))
    assert raad.status == 201
    assert await case_rows(client) == 2


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (case_body("GI 2026 42"), 400, "validation_failed"),
        (case_body(""), 400, "validation_failed"),
        (case_body("x" * 65), 400, "validation_failed"),
        (case_body("-leading-dash"), 400, "validation_failed"),
        ({"reference": 42, "subjects": [{"bsn": CHILD_8}]}, 400, "validation_failed"),
        ({"reference": "GI-1", "subjects": []}, 400, "validation_failed"),
        ({"reference": "GI-1", "subjects": [CHILD_8]}, 400, "validation_failed"),
        (
            {"reference": "GI-1", "subjects": [{"bsn": CHILD_8, "name": "x"}]},
            400,
            "validation_failed",
        ),
        ({"reference": "GI-1", "subjects": [{"bsn": CHILD_8}] * 2}, 400, "validation_failed"),
        ({"reference": "GI-1", "subjects": [{"bsn": "123456789"}]}, 400, "invalid_bsn"),
        (
            {"reference": "GI-1", "subjects": [{"bsn": CHILD_8}], "open": True},
            400,
            "validation_failed",
        ),
        ({"reference": "GI-1", "subjects": [{"bsn": "999990019"}] * 51}, 400, "validation_failed"),
    ],
)
async def test_bad_case_bodies_are_refused_and_write_nothing(
    client: Client, gateway: GatewayFixture, body: dict[str, Any], status: int, code: str
) -> None:
    response = await client.post("/api/v1/cases", json=body, headers=gateway.auth(GI))
    problem = await assert_problem(response, status, code)
    assert CHILD_8 not in json.dumps(problem)
    assert await case_rows(client) == 0
    assert await entries(client, "case.opened") == []


async def test_cases_need_an_organisation_token(client: Client) -> None:
    response = await client.post("/api/v1/cases", json=case_body())
    await assert_problem(response, 401, "token_missing")


async def test_an_exchange_with_a_malformed_case_reference_is_a_validation_error(
    client: Client, gateway: GatewayFixture
) -> None:
    response = await client.post(
        "/api/v1/exchanges",
        json={
            "subject": {"bsn": CHILD_8},
            "purpose": "protection_measure_execution",
            "categories": ["contact_details"],
            "case_reference": "anything at all; DROP TABLE",
        },
        headers=gateway.auth(GI),
    )
    await assert_problem(response, 400, "validation_failed")


async def test_a_case_the_audit_log_cannot_record_is_not_registered(
    client: Client, gateway: GatewayFixture
) -> None:
    async with client.app[ENGINE].begin() as conn:
        await conn.execute(text("ALTER TABLE audit_entries RENAME TO audit_entries_gone"))
    response = await client.post("/api/v1/cases", json=case_body(), headers=gateway.auth(GI))
    await assert_problem(response, 503, "audit_unavailable")
    assert await case_rows(client) == 0


async def test_concurrent_opens_of_one_reference_register_one_case(
    client: Client, gateway: GatewayFixture
) -> None:
    responses = await asyncio.gather(
        *(
            client.post("/api/v1/cases", json=case_body(), headers=gateway.auth(GI))
            for _ in range(4)
        )
    )
    statuses = sorted(r.status for r in responses)
    assert statuses == [201, 409, 409, 409]
    assert await case_rows(client) == 1


async def test_a_failing_step_inside_the_case_transaction_leaves_no_case(
    client: Client,
) -> None:
    """The `within` hook (where the audit append moves with `append_in`) shares the
    case's transaction: if it fails, neither the case nor its subjects remain."""
    store: SqlCaseStore = client.app[CASES]
    actor = Actor("professional", organisation=GI, professional="p-1")
    case = store.prepare(organisation=GI, reference="GI-1", subjects=["ps_a"], actor=actor)

    async def fail(conn: Any) -> None:
        raise RuntimeError("the audit log refused")

    with pytest.raises(RuntimeError):
        await store.open(case, within=fail)
    assert await case_rows(client) == 0
    stored = await store.open(case)
    with pytest.raises(RuntimeError):
        await store.close(stored.id, organisation=GI, actor=actor, within=fail)
    assert (await store.get(stored.id, GI)).status == "open"
    assert await store.open_case_covering(GI, "GI-1", ["ps_b", "ps_a"]) == stored.id
    closed = await store.close(stored.id, organisation=GI, actor=actor, at=datetime.now(UTC))
    assert closed.status == "closed" and closed.closed_by == actor
    assert await store.open_case_covering(GI, "GI-1", ["ps_a"]) is None


async def test_the_subject_read_names_only_open_cases_covering_the_subject(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    store = client.app[CASES]
    actor = Actor("professional", organisation=GI, professional="p-1")
    pseudonym = client.app[PSEUDONYMISER].pseudonym
    child, mother = pseudonym(CHILD_8), pseudonym(MOTHER)
    kept = await store.open(
        store.prepare(organisation=GI, reference="GI-7", subjects=[child], actor=actor)
    )
    gone = await store.open(
        store.prepare(organisation=GI, reference="GI-8", subjects=[child, mother], actor=actor)
    )
    await store.close(gone.id, organisation=GI, actor=actor)
    consents = client.app[CONSENTS]
    state = await consents.subject_state(child, datetime.now(UTC))
    assert dict(state.open_cases) == {(GI, "GI-7"): kept.id}
    assert state.open_case(GI, "GI-7") == kept.id
    assert state.open_case(RVDK, "GI-7") is None and state.open_case(GI, "GI-8") is None
    assert state.region == "utrecht" and state.summary is not None
    assert (await consents.subject_state(mother, datetime.now(UTC))).open_cases == {}
