"""Every JSON answer is what its declaration says: real answers convert into the Structs
the OpenAPI document draws its schemas from (so a view cannot drift from its schema)."""

from __future__ import annotations

from typing import Any

import msgspec
from consent_support import MOTHER, Client, consent_body
from support import GatewayFixture

from gateway.api.me import schema as me
from gateway.api.officer import schema as officer
from gateway.api.org import schema as org
from gateway.appkeys import AUDIT
from gateway.exchange import schema as exchange

WIJKTEAM = "wijkteam-utrecht"


async def _json(response: Any, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def test_real_answers_convert_into_their_declarations(
    client: Client,
    gateway: GatewayFixture,
    household: dict[str, Any],
    session_headers: dict[str, str],
) -> None:
    msgspec.convert(household, org.Household)
    auth = gateway.auth
    read = await client.get(f"/api/v1/households/{household['id']}", headers=auth(WIJKTEAM))
    msgspec.convert(await _json(read), org.Household)

    recorded = await client.post(
        "/api/v1/consents", json=consent_body(MOTHER), headers=auth(WIJKTEAM)
    )
    consent = msgspec.convert(await _json(recorded, 201), org.Consent)
    listed = await client.get(
        "/api/v1/consents", params={"subject": MOTHER}, headers=auth(WIJKTEAM)
    )
    assert msgspec.convert(await _json(listed), org.ConsentList).consents
    receipts = await client.get(f"/api/v1/consents/{consent.id}/receipts", headers=auth(WIJKTEAM))
    assert msgspec.convert(await _json(receipts), org.ReceiptList).receipts

    mine = await client.get("/api/v1/me/consents", headers=session_headers)
    assert msgspec.convert(await _json(mine), me.MyConsents).consents

    case = await client.post(
        "/api/v1/cases",
        json={"reference": "zaak-1", "subjects": [{"bsn": MOTHER}]},
        headers=auth(WIJKTEAM),
    )
    opened = msgspec.convert(await _json(case, 201), org.Case)
    closed = await client.post(f"/api/v1/cases/{opened.id}/close", headers=auth(WIJKTEAM))
    assert msgspec.convert(await _json(closed), org.Case).closed_at is not None

    answer = await client.post(
        "/api/v1/exchanges",
        json={"subject": {"bsn": MOTHER}, "purpose": "support_planning",
              "categories": ["contact_details", "support_plan"]},
        headers=auth(WIJKTEAM),
    )  # fmt: skip
    assert msgspec.convert(await _json(answer), exchange.ExchangeResponse).results

    def officer_auth() -> dict[str, str]:
        return auth(WIJKTEAM, "privacy_officer")

    entries = await client.get("/api/v1/audit/entries", headers=officer_auth())
    assert msgspec.convert(await _json(entries), officer.AuditPage).entries
    await client.app[AUDIT].checkpoint()
    report = await client.get("/api/v1/audit/verify", headers=officer_auth())
    assert msgspec.convert(await _json(report), officer.VerifyReport).ok
    checkpoints = await client.get("/api/v1/audit/checkpoints", headers=officer_auth())
    assert msgspec.convert(await _json(checkpoints), officer.CheckpointList).checkpoints


async def test_every_operation_has_an_example_of_its_bodies(client: Client) -> None:
    document = await (await client.get("/api/v1/openapi.json")).json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            media = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if media is not None:
                assert "$ref" in media["schema"] and "example" in media, (path, method)
            for status, response in operation["responses"].items():
                media = response.get("content", {}).get("application/json")
                if (
                    status.startswith("2")
                    and media is not None
                    and "$ref" in media.get("schema", {})
                ):
                    assert "example" in media, (path, method, status)
