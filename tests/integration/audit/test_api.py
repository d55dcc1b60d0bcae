"""The privacy officer's API over real HTTP: scope, filters, paging, CSV, review, lifting, 503."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from audit_support import decision, fail_inserts
from support import GatewayFixture

from gateway.appkeys import AUDIT, AUDIT_READER, PSEUDONYMISER, SETTINGS
from gateway.audit.query import AuditFilters, Scope

Client = TestClient[web.Request, web.Application]
BSN = "111222333"
OFFICER = "privacy_officer"


async def problem(response: Any, status: int, code: str) -> None:
    assert response.status == status, await response.text()
    body = await response.json()
    assert body["code"] == code and "entries" not in body


@pytest.fixture
async def seeded(client: Client) -> Client:
    audit = client.app[AUDIT]
    subject = client.app[PSEUDONYMISER].pseudonym(BSN)
    await audit.append([decision(n) for n in range(6)])  # wijkteam asks VT
    await audit.append(
        [
            decision(10, subject=subject, decision="deny", outcome="denied"),
            decision(11, requester_org="rvt-utrecht-proeftuin", source="rvt-utrecht-proeftuin"),
            decision(
                12,
                subject=subject,
                purpose="acute_safety",
                break_glass=True,
                justification="Kind alleen thuis, acuut",
                requester_org="gi-jeugdbescherming-demo",
                source="gi-jeugdbescherming-demo",
                confidentiality="confidential",
            ),
        ]
    )
    return client


async def test_officer_sees_own_organisation_newest_first_and_query_is_audited(
    seeded: Client, gateway: GatewayFixture
) -> None:
    response = await seeded.get(
        "/api/v1/audit/entries", headers=gateway.auth("wijkteam-utrecht", OFFICER)
    )
    assert response.status == 200
    body = await response.json()
    seqs = [e["seq"] for e in body["entries"]]
    assert seqs == sorted(seqs, reverse=True) and set(seqs) == {1, 2, 3, 4, 5, 6, 7}
    assert all("justification_ct" not in e for e in body["entries"])
    again = await (
        await seeded.get("/api/v1/audit/entries", headers=gateway.auth("wijkteam-utrecht", OFFICER))
    ).json()
    newest = again["entries"][0]
    assert newest["event_type"] == "audit.query" and newest["role"] == OFFICER
    assert newest["details"]["results"] == "7"


async def test_regional_officer_sees_the_region_only(
    seeded: Client, gateway: GatewayFixture
) -> None:
    headers = gateway.auth("veilig-thuis-utrecht", "regional_privacy_officer")
    body = await (await seeded.get("/api/v1/audit/entries?limit=100", headers=headers)).json()
    orgs = {e["requester_org"] for e in body["entries"]} | {e["source"] for e in body["entries"]}
    assert "rvt-utrecht-proeftuin" not in orgs and "gi-jeugdbescherming-demo" in orgs


async def test_filters_by_bsn_decision_and_break_glass(
    seeded: Client, gateway: GatewayFixture
) -> None:
    headers = gateway.auth("veilig-thuis-utrecht", OFFICER)
    body = await (
        await seeded.get(f"/api/v1/audit/entries?bsn={BSN}&decision=deny", headers=headers)
    ).json()
    assert [e["seq"] for e in body["entries"]] == [7]
    assert BSN not in str(body)
    headers = gateway.auth("gi-jeugdbescherming-demo", OFFICER)
    body = await (
        await seeded.get("/api/v1/audit/entries?break_glass=true&from=2020-01-01", headers=headers)
    ).json()
    assert [e["justification"] for e in body["entries"]] == ["Kind alleen thuis, acuut"]


async def test_cursor_pages_and_refuses_a_cursor_from_another_query(
    seeded: Client, gateway: GatewayFixture
) -> None:
    url = "/api/v1/audit/entries?source=veilig-thuis-utrecht&limit=4"
    first = await (await seeded.get(url, headers=gateway.auth("wijkteam-utrecht", OFFICER))).json()
    assert len(first["entries"]) == 4 and first["next_cursor"]
    cursor = first["next_cursor"]
    second = await (
        await seeded.get(
            f"{url}&cursor={cursor}", headers=gateway.auth("wijkteam-utrecht", OFFICER)
        )
    ).json()
    assert [e["seq"] for e in second["entries"]] == [3, 2, 1] and second["next_cursor"] is None
    other = await seeded.get(
        f"/api/v1/audit/entries?decision=permit&cursor={cursor}",
        headers=gateway.auth("wijkteam-utrecht", OFFICER),
    )
    await problem(other, 400, "invalid_cursor")
    forged = await seeded.get(
        f"{url}&cursor={cursor[:-2]}xx", headers=gateway.auth("wijkteam-utrecht", OFFICER)
    )
    await problem(forged, 400, "invalid_cursor")


@pytest.mark.parametrize(
    "query",
    ["from=yesterday", "to=2026-13-01", "bsn=123456789", "decision=maybe", "break_glass=yes",
     "organisation=nope", "limit=0", "limit=abc", "colour=red", "event_type=x.y"],
)  # fmt: skip
async def test_bad_filters_are_400_invalid_filter(
    query: str, seeded: Client, gateway: GatewayFixture
) -> None:
    response = await seeded.get(
        f"/api/v1/audit/entries?{query}", headers=gateway.auth("wijkteam-utrecht", OFFICER)
    )
    await problem(response, 400, "invalid_filter")


@pytest.mark.parametrize(
    "path", ["/api/v1/audit/entries", "/api/v1/audit/verify", "/api/v1/audit/checkpoints",
             "/api/v1/audit/break-glass", "/api/v1/audit/entries.csv"],
)  # fmt: skip
async def test_professional_without_role_is_403(
    path: str, seeded: Client, gateway: GatewayFixture
) -> None:
    await problem(
        await seeded.get(path, headers=gateway.auth("wijkteam-utrecht")), 403, "role_required"
    )
    await problem(await seeded.get(path), 401, "token_missing")


async def test_csv_export_is_audited_and_defuses_formulas(
    seeded: Client, gateway: GatewayFixture
) -> None:
    response = await seeded.get(
        "/api/v1/audit/entries.csv?limit=3", headers=gateway.auth("wijkteam-utrecht", OFFICER)
    )
    assert response.status == 200 and response.content_type == "text/csv"
    lines = (await response.text()).splitlines()
    assert lines[0].startswith("seq,time,event_type") and len(lines) == 4
    assert response.headers["X-Next-Cursor"]
    body = await (
        await seeded.get(
            "/api/v1/audit/entries?event_type=audit.query",
            headers=gateway.auth("wijkteam-utrecht", OFFICER),
        )
    ).json()
    assert body["entries"][-1]["details"]["format"] == "csv"


async def test_break_glass_review_is_listed_then_recorded_once(
    seeded: Client, gateway: GatewayFixture
) -> None:
    headers = gateway.auth("gi-jeugdbescherming-demo", OFFICER)
    queue = await (await seeded.get("/api/v1/audit/break-glass", headers=headers)).json()
    assert [e["seq"] for e in queue["entries"]] == [9]
    review = {"verdict": "justified", "note": "Acute situatie, terecht"}
    response = await seeded.post(
        "/api/v1/audit/break-glass/9/review",
        json=review,
        headers=gateway.auth("gi-jeugdbescherming-demo", OFFICER),
    )
    assert response.status == 201
    seq = (await response.json())["seq"]
    again = await seeded.post(
        "/api/v1/audit/break-glass/9/review",
        json=review,
        headers=gateway.auth("gi-jeugdbescherming-demo", OFFICER),
    )
    await problem(again, 409, "conflict")
    queue = await (
        await seeded.get(
            "/api/v1/audit/break-glass", headers=gateway.auth("gi-jeugdbescherming-demo", OFFICER)
        )
    ).json()
    assert queue["entries"] == []
    entries = await (
        await seeded.get(
            "/api/v1/audit/entries?event_type=audit.break_glass_review",
            headers=gateway.auth("gi-jeugdbescherming-demo", OFFICER),
        )
    ).json()
    recorded = entries["entries"][0]
    assert recorded["seq"] == seq and recorded["target_seq"] == 9
    assert recorded["details"] == {"verdict": "justified"}
    assert recorded["justification"] == "Acute situatie, terecht"
    other_org = await seeded.post(
        "/api/v1/audit/break-glass/9/review",
        json=review,
        headers=gateway.auth("wijkteam-utrecht", OFFICER),
    )
    await problem(other_org, 404, "not_found")
    bad = await seeded.post(
        "/api/v1/audit/break-glass/9/review", json={"verdict": "meh", "note": "x"},
        headers=gateway.auth("gi-jeugdbescherming-demo", OFFICER),
    )  # fmt: skip
    await problem(bad, 400, "validation_failed")


async def test_lifting_confidentiality_shows_the_entry_to_the_household(
    seeded: Client, gateway: GatewayFixture
) -> None:
    audit = seeded.app[AUDIT_READER]
    subject = seeded.app[PSEUDONYMISER].pseudonym(BSN)
    before = await audit.entries_for_subject([subject])
    assert [e.seq for e in before.entries] == [7]
    response = await seeded.post(
        "/api/v1/audit/entries/9/lift-confidentiality",
        json={"note": "Onderzoek afgerond"},
        headers=gateway.auth("gi-jeugdbescherming-demo", OFFICER),
    )
    assert response.status == 201
    after = await audit.entries_for_subject([subject])
    shown = {e.seq: after.confidentiality(e) for e in after.entries}
    assert shown[9] == "lifted" and shown[7] == "normal"
    assert any(e.event_type == "audit.confidentiality_lifted" for e in after.entries)
    page = await audit.entries_for_subject([subject], limit=1)
    assert page.next_cursor is not None
    rest = await audit.entries_for_subject([subject], limit=10, cursor=page.next_cursor)
    assert len(rest.entries) == len(after.entries) - 1


async def test_verify_and_checkpoints_over_http(seeded: Client, gateway: GatewayFixture) -> None:
    await seeded.app[AUDIT].checkpoint()
    headers = gateway.auth("wijkteam-utrecht", OFFICER)
    report = await (await seeded.get("/api/v1/audit/verify", headers=headers)).json()
    assert report["ok"] is True and report["first_bad_seq"] is None and report["entries"] == 9
    body = await (
        await seeded.get(
            "/api/v1/audit/checkpoints", headers=gateway.auth("wijkteam-utrecht", OFFICER)
        )
    ).json()
    assert body["checkpoints"][0]["seq"] >= 9 and body["checkpoints"][0]["jws"].count(".") == 2


async def test_verify_is_rate_limited_per_officer_as_the_console_is(
    seeded: Client, gateway: GatewayFixture
) -> None:
    def headers() -> dict[str, str]:
        return gateway.auth("wijkteam-utrecht", OFFICER)  # a new token each time (no replay)

    limit = seeded.app[SETTINGS].officer_verify_per_minute
    for _ in range(limit):
        assert (await seeded.get("/api/v1/audit/verify", headers=headers())).status == 200
    before = await seeded.app[AUDIT_READER].count(
        AuditFilters(event_type="audit.verify"), Scope(None)
    )
    refused = await seeded.get("/api/v1/audit/verify", headers=headers())
    assert refused.status == 429
    assert refused.content_type == "application/problem+json"
    assert (await refused.json())["code"] == "rate_limited"
    after = await seeded.app[AUDIT_READER].count(
        AuditFilters(event_type="audit.verify"), Scope(None)
    )
    assert after == before  # refused before any work: nothing verified, nothing logged
    # another officer still may
    other = gateway.auth("veilig-thuis-utrecht", OFFICER)
    assert (await seeded.get("/api/v1/audit/verify", headers=other)).status == 200


async def test_when_the_audit_append_fails_the_officer_gets_503_and_no_entries(
    seeded: Client, gateway: GatewayFixture
) -> None:
    async with seeded.app[AUDIT].engine.begin() as conn:
        await fail_inserts(conn)
    response = await seeded.get(
        "/api/v1/audit/entries", headers=gateway.auth("wijkteam-utrecht", OFFICER)
    )
    await problem(response, 503, "audit_unavailable")
    assert "req_test" not in await response.text()
