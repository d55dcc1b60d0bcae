"""The privacy officer's API answers what its OpenAPI document promises; every read is audited."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from audit_support import decision, drop_guards
from jsonschema import Draft202012Validator
from sqlalchemy import text
from support import GatewayFixture

from gateway.appkeys import AUDIT

Client = TestClient[web.Request, web.Application]
OFFICER = "privacy_officer"
ORG = "wijkteam-utrecht"


@pytest.fixture
async def seeded(client: Client) -> Client:
    await client.app[AUDIT].append(
        [
            *(decision(n) for n in range(4)),
            decision(
                9,
                purpose="acute_safety",
                break_glass=True,
                justification="Kind alleen thuis, acuut",
                confidentiality="confidential",
            ),
        ]
    )
    return client


async def operation_schema(client: Client, path: str, method: str, status: str) -> dict[str, Any]:
    """The JSON schema of one operation's response, from the live OpenAPI document
    (with the document's components beside it, where its `$ref`s point)."""
    document = await (await client.get("/api/v1/openapi.json")).json()
    response = document["paths"][path][method]["responses"][status]
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return {**schema, "components": document["components"]}


async def assert_matches(
    client: Client, response: Any, path: str, method: str = "get", status: int = 200
) -> dict[str, Any]:
    assert response.status == status, await response.text()
    body: dict[str, Any] = await response.json()
    schema = await operation_schema(client, path, method, str(status))
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, errors
    return body


async def test_verify_response_matches_its_schema_intact_and_tampered(
    seeded: Client, gateway: GatewayFixture
) -> None:
    await seeded.app[AUDIT].checkpoint()
    path = "/api/v1/audit/verify"
    response = await seeded.get(path, headers=gateway.auth(ORG, OFFICER))
    intact = await assert_matches(seeded, response, path)
    assert intact["ok"] is True
    checkpoint = intact["last_checkpoint"]
    assert checkpoint["kid"] and checkpoint["jws"].count(".") == 2
    async with seeded.app[AUDIT].engine.begin() as conn:
        await drop_guards(conn)
        await conn.execute(text("UPDATE audit_entries SET decision = 'deny' WHERE seq = 2"))
    response = await seeded.get(path, headers=gateway.auth(ORG, OFFICER))
    tampered = await assert_matches(seeded, response, path)
    assert tampered["ok"] is False and tampered["first_bad_seq"] == 2


async def test_other_audit_reads_match_their_schemas(
    seeded: Client, gateway: GatewayFixture
) -> None:
    for path in (
        "/api/v1/audit/entries",
        "/api/v1/audit/checkpoints",
        "/api/v1/audit/break-glass",
    ):
        response = await seeded.get(path, headers=gateway.auth(ORG, OFFICER))
        body = await assert_matches(seeded, response, path)
        assert body  # a real page, not an empty object


async def test_review_and_lift_answers_match_their_schemas(
    seeded: Client, gateway: GatewayFixture
) -> None:
    review = "/api/v1/audit/break-glass/{seq}/review"
    response = await seeded.post(
        review.format(seq=5),
        json={"verdict": "justified", "note": "klopt"},
        headers=gateway.auth(ORG, OFFICER),
    )
    assert (await assert_matches(seeded, response, review, "post", 201))["target_seq"] == 5
    lift = "/api/v1/audit/entries/{seq}/lift-confidentiality"
    response = await seeded.post(
        lift.format(seq=5), json={"note": "mag nu"}, headers=gateway.auth(ORG, OFFICER)
    )
    lifted = await assert_matches(seeded, response, lift, "post", 201)
    assert lifted["confidentiality"] == "lifted"


async def test_reading_the_checkpoints_is_audited_before_the_answer(
    seeded: Client, gateway: GatewayFixture
) -> None:
    audit = seeded.app[AUDIT]
    await audit.checkpoint()
    response = await seeded.get("/api/v1/audit/checkpoints", headers=gateway.auth(ORG, OFFICER))
    assert response.status == 200
    count = len((await response.json())["checkpoints"])
    async with audit.engine.connect() as conn:
        row = (
            (await conn.execute(text("SELECT * FROM audit_entries ORDER BY seq DESC LIMIT 1")))
            .mappings()
            .one()
        )
    assert row["event_type"] == "audit.query"
    assert row["requester_org"] == ORG and row["role"] == OFFICER
    assert row["request_id"] == response.headers["X-Request-Id"]
    assert '"view":"checkpoints"' in row["details"] and f'"results":"{count}"' in row["details"]


async def test_when_logging_the_checkpoints_read_fails_the_officer_gets_503(
    seeded: Client, gateway: GatewayFixture
) -> None:
    from audit_support import fail_inserts

    async with seeded.app[AUDIT].engine.begin() as conn:
        await fail_inserts(conn)
    response = await seeded.get("/api/v1/audit/checkpoints", headers=gateway.auth(ORG, OFFICER))
    assert response.status == 503
    body = await response.json()
    assert body["code"] == "audit_unavailable" and "checkpoints" not in body
