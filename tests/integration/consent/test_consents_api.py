"""Consents recorded by professionals, over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from consent_support import (
    CHILD_8,
    CHILD_13,
    FATHER,
    MOTHER,
    OUTSIDER,
    Client,
    assert_problem,
    consent_body,
    count_rows,
)
from support import GatewayFixture

from gateway.appkeys import CONSENTS, PSEUDONYMISER

WIJKTEAM, GI = "wijkteam-utrecht", "gi-jeugdbescherming-demo"


async def record(client: Client, gateway: GatewayFixture, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/api/v1/consents", json=body, headers=gateway.auth(WIJKTEAM))
    assert response.status == 201, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def verify_with_jwks(client: Client, token: str) -> dict[str, Any]:
    """An independent check: pyjwt with the JWK taken from the served JWKS."""
    jwks = await (await client.get("/.well-known/jwks.json")).json()
    kid = jwt.get_unverified_header(token)["kid"]
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == kid]
    key = jwt.PyJWK.from_dict(jwk)
    claims: dict[str, Any] = jwt.decode(token, key.key, algorithms=["EdDSA"])
    return claims


@pytest.mark.usefixtures("household")
async def test_professional_records_a_consent_with_history_and_notification(
    client: Client, gateway: GatewayFixture
) -> None:
    created = await record(client, gateway, consent_body(MOTHER))
    pseudonym = client.app[PSEUDONYMISER].pseudonym(MOTHER)
    assert created["id"].startswith("cs_")
    assert created["subject"] == pseudonym
    assert created["given_by"] == {"person": pseudonym, "role": "self"}
    assert created["status"] == "active"
    assert created["recorded_via"] == "paper"
    assert created["evidence_reference"] == "paper-form-2026-001"
    assert created["policy_version"].startswith("sha256:")
    assert [e["event"] for e in created["history"]] == ["granted"]
    notes = await client.app[CONSENTS].notifications(pseudonym)
    assert [(n.consent_id, n.event) for n in notes] == [(created["id"], "granted")]


@pytest.mark.usefixtures("household")
async def test_a_refusal_is_recorded_and_listed(client: Client, gateway: GatewayFixture) -> None:
    refused = await record(client, gateway, consent_body(MOTHER, decision="refuse"))
    assert refused["status"] == "refused"
    response = await client.get(
        f"/api/v1/consents?subject={MOTHER}", headers=gateway.auth(WIJKTEAM)
    )
    assert response.status == 200
    listed = (await response.json())["consents"]
    assert [(c["id"], c["decision"], c["status"]) for c in listed] == [
        (refused["id"], "refuse", "refused")
    ]
    assert [e["event"] for e in listed[0]["history"]] == ["refused"]


@pytest.mark.usefixtures("household")
async def test_a_new_declaration_on_the_same_scope_supersedes_the_old(
    client: Client, gateway: GatewayFixture
) -> None:
    first = await record(client, gateway, consent_body(MOTHER, decision="refuse"))
    second = await record(client, gateway, consent_body(MOTHER))
    response = await client.get(
        f"/api/v1/consents?subject={MOTHER}", headers=gateway.auth(WIJKTEAM)
    )
    by_id = {c["id"]: c for c in (await response.json())["consents"]}
    assert by_id[first["id"]]["status"] == "superseded"
    assert by_id[first["id"]]["superseded_by"] == second["id"]
    assert [e["event"] for e in by_id[first["id"]]["history"]] == ["refused", "superseded"]
    assert by_id[second["id"]]["status"] == "active"


@pytest.mark.usefixtures("household")
async def test_withdraw_then_withdraw_again_is_409(client: Client, gateway: GatewayFixture) -> None:
    created = await record(client, gateway, consent_body(MOTHER))
    path = f"/api/v1/consents/{created['id']}/withdraw"
    body = {"evidence_reference": "letter-2026-07"}
    first = await client.post(path, json=body, headers=gateway.auth(WIJKTEAM))
    assert first.status == 200
    withdrawn = await first.json()
    assert withdrawn["status"] == "withdrawn"
    assert withdrawn["withdrawn_at"] is not None
    assert [e["event"] for e in withdrawn["history"]] == ["granted", "withdrawn"]
    assert withdrawn["history"][1]["detail"] == {
        "evidence_reference": "letter-2026-07",
        "withdrawn_by_role": "recorder",
    }
    again = await client.post(path, json=body, headers=gateway.auth(WIJKTEAM))
    await assert_problem(again, 409, "consent_already_withdrawn")
    missing = await client.post(
        "/api/v1/consents/cs_nope/withdraw", json=body, headers=gateway.auth(WIJKTEAM)
    )
    await assert_problem(missing, 404, "not_found")


@pytest.mark.usefixtures("household")
async def test_receipts_verify_against_the_published_jwks(
    client: Client, gateway: GatewayFixture
) -> None:
    created = await record(client, gateway, consent_body(CHILD_8, given_by={"bsn": MOTHER}))
    await client.post(
        f"/api/v1/consents/{created['id']}/withdraw",
        json={"evidence_reference": "phone-note-1"},
        headers=gateway.auth(WIJKTEAM),
    )
    response = await client.get(
        f"/api/v1/consents/{created['id']}/receipts", headers=gateway.auth(WIJKTEAM)
    )
    assert response.status == 200
    receipts = (await response.json())["receipts"]
    assert [r["event"] for r in receipts] == ["granted", "withdrawn"]
    granted = await verify_with_jwks(client, receipts[0]["jws"])
    withdrawn = await verify_with_jwks(client, receipts[1]["jws"])
    pseudonymise = client.app[PSEUDONYMISER].pseudonym
    assert jwt.get_unverified_header(receipts[0]["jws"])["typ"] == "consent-receipt+jwt"
    assert granted["record_id"] == created["id"]
    assert granted["pii_principal_id"] == pseudonymise(CHILD_8)
    assert granted["given_by"] == {"id": pseudonymise(MOTHER), "role": "custody_holder"}
    assert granted["purposes"] == ["support_planning"]
    assert granted["pii_categories"] == ["household_composition", "support_plan"]
    assert granted["collection_method"] == "paper"
    assert granted["policy_version"] == created["policy_version"]
    assert granted["status"] == "active"
    assert withdrawn["event"] == "withdrawn"
    assert withdrawn["status"] == "withdrawn"
    assert withdrawn["withdrawn_at"] is not None
    assert CHILD_8 not in str(granted)


@pytest.mark.usefixtures("household")
async def test_bad_consents_are_refused_with_their_code_and_nothing_written(
    client: Client, gateway: GatewayFixture
) -> None:
    before = await count_rows(gateway.settings.database_url)
    cases: list[tuple[dict[str, Any], int, str]] = [
        (consent_body("123456789"), 400, "invalid_bsn"),
        (consent_body(MOTHER, given_by={"bsn": "99990000"}), 400, "invalid_bsn"),
        (consent_body(MOTHER, purposes=["world_domination"]), 400, "unknown_purpose"),
        (consent_body(MOTHER, categories=["dreams"]), 400, "unknown_category"),
        (
            consent_body(MOTHER, recipients={"organisations": ["nobody"]}),
            400,
            "unknown_organisation",
        ),
        (consent_body(MOTHER, recipients={"types": ["spy_agency"]}), 400, "unknown_organisation"),
        (consent_body(MOTHER, sources={"organisations": ["nobody"]}), 400, "unknown_organisation"),
        (
            consent_body(
                MOTHER,
                valid_from="2026-06-01T00:00:00+00:00",
                valid_until="2026-05-01T00:00:00+00:00",
            ),
            400,
            "invalid_validity",
        ),
        (consent_body(MOTHER, valid_until="2026-05-01"), 400, "validation_failed"),
        (consent_body(MOTHER, decision="maybe"), 400, "validation_failed"),
        (consent_body(MOTHER, recipients={}), 400, "validation_failed"),
        (consent_body(MOTHER, evidence_reference=""), 400, "validation_failed"),
        (consent_body(OUTSIDER), 404, "not_found"),  # in no household the caller may see
        (consent_body(CHILD_8, given_by={"bsn": FATHER}), 403, "no_custody"),
        (consent_body(MOTHER, given_by={"bsn": CHILD_13}), 403, "no_custody"),
    ]
    for body, status, code in cases:
        response = await client.post("/api/v1/consents", json=body, headers=gateway.auth(WIJKTEAM))
        await assert_problem(response, status, code)
    # Another organisation cannot see the household: 404, so existence does not leak.
    response = await client.post(
        "/api/v1/consents", json=consent_body(MOTHER), headers=gateway.auth(GI)
    )
    await assert_problem(response, 404, "not_found")
    assert await count_rows(gateway.settings.database_url) == before


@pytest.mark.usefixtures("household")
async def test_others_cannot_list_or_withdraw(client: Client, gateway: GatewayFixture) -> None:
    created = await record(client, gateway, consent_body(MOTHER))
    listing = await client.get(f"/api/v1/consents?subject={MOTHER}", headers=gateway.auth(GI))
    await assert_problem(listing, 404, "not_found")
    bad = await client.get("/api/v1/consents?subject=12345", headers=gateway.auth(WIJKTEAM))
    await assert_problem(bad, 400, "invalid_bsn")
    withdraw = await client.post(
        f"/api/v1/consents/{created['id']}/withdraw",
        json={"evidence_reference": "x"},
        headers=gateway.auth(GI),
    )
    await assert_problem(withdraw, 404, "not_found")
    receipts = await client.get(
        f"/api/v1/consents/{created['id']}/receipts", headers=gateway.auth(GI)
    )
    await assert_problem(receipts, 404, "not_found")
    unchanged = await client.app[CONSENTS].get(created["id"])
    assert unchanged.status == "active"
