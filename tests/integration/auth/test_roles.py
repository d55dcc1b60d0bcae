"""Roles bound to organisations and the claim grammar, over real HTTP on both engines.

A role is never taken on the token's word: an organisation asserts only its type's
roles, and `regional_privacy_officer` only where it is configured as a region's privacy
office, which then sees exactly the regions configured for it. A refused role is
audited and uses up nothing; a `sub` the audit log could not record never gets in.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from audit_support import decision, fail_inserts
from consent_support import household_body
from sqlalchemy import func, select
from support import REPO, GatewayFixture

from consent.tables import households
from gateway.app import create_app
from gateway.appkeys import AUDIT, ENGINE
from gateway.audit.tables import audit_entries
from gateway.storage.tables import replay_cache

Client = TestClient[web.Request, web.Application]
WIJKTEAM = "wijkteam-utrecht"
VEILIG_THUIS = "veilig-thuis-utrecht"  # the privacy office of region utrecht
GI = "gi-jeugdbescherming-demo"  # region utrecht, not an office
RVT = "rvt-utrecht-proeftuin"  # region utrecht-proeftuin, its office
REGIONAL = "regional_privacy_officer"


async def count(client: Client, table: Any) -> int:
    async with client.app[ENGINE].connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def entries(client: Client) -> list[dict[str, Any]]:
    async with client.app[ENGINE].connect() as conn:
        rows = await conn.execute(audit_entries.select().order_by(audit_entries.c.seq))
        return [dict(row) for row in rows.mappings()]


async def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json()
    assert body["code"] == code, body
    return body


async def seed_region_entries(client: Client) -> None:
    """A break-the-glass use by Veilig Thuis (utrecht), and one entry of the RVT pilot."""
    await client.app[AUDIT].append(
        [
            decision(
                1,
                requester_org=VEILIG_THUIS,
                source=VEILIG_THUIS,
                purpose="acute_safety",
                break_glass=True,
                justification="Melding van acuut gevaar, kind alleen thuis",
                confidentiality="confidential",
            ),
            decision(2),  # the wijkteam asks Veilig Thuis (both utrecht)
            decision(3, requester_org=RVT, source=RVT),
        ]
    )


async def visible_orgs(client: Client, headers: dict[str, str]) -> set[str]:
    response = await client.get("/api/v1/audit/entries?limit=100", headers=headers)
    assert response.status == 200, await response.text()
    body = await response.json()
    return {e["requester_org"] for e in body["entries"] if e["event_type"] == "exchange.decision"}


async def test_wijkteam_asserting_regional_privacy_officer_is_refused_audited_and_uses_no_jti(
    client: Client, gateway: GatewayFixture
) -> None:
    await seed_region_entries(client)
    token = gateway.token(WIJKTEAM, REGIONAL, sub="prof-0099")
    headers = {"Authorization": f"Bearer {token}"}
    read = await client.get("/api/v1/audit/entries?break_glass=true", headers=headers)
    body = await problem(read, 403, "role_not_allowed")
    assert "Melding" not in str(body) and "entries" not in body
    # The same token once more: refused for its role again, not as a replay (no jti used).
    review = await client.post(
        "/api/v1/audit/break-glass/1/review",
        json={"verdict": "justified", "note": "Terecht"},
        headers=headers,
    )
    await problem(review, 403, "role_not_allowed")
    assert await count(client, replay_cache) == 0
    refusals = [e for e in await entries(client) if e["event_type"] == "auth.role_refused"]
    assert len(refusals) == 2
    for entry in refusals:
        assert entry["requester_org"] == WIJKTEAM
        assert entry["professional"] == "prof-0099"
        assert entry["role"] == REGIONAL
        assert entry["decision"] == "deny" and entry["reason"] == "role_not_allowed"
        assert token not in str(entry) and token.split(".")[2] not in str(entry)
    events = {e["event_type"] for e in await entries(client)}
    assert "audit.query" not in events and "audit.break_glass_review" not in events


async def test_a_typo_role_is_refused_at_authentication_naming_the_allowed_roles(
    client: Client, gateway: GatewayFixture
) -> None:
    response = await client.post(
        "/api/v1/exchanges",
        json={
            "subject": {"bsn": "999990019"},
            "purpose": "support_planning",
            "categories": ["contact_details"],
        },
        headers=gateway.auth(WIJKTEAM, "hulpverlenr"),
    )
    body = await problem(response, 403, "role_not_allowed")
    assert "hulpverlenr" in body["detail"] and "hulpverlener" in body["detail"]
    assert await count(client, replay_cache) == 0
    assert [e["event_type"] for e in await entries(client)] == ["auth.role_refused"]


async def test_the_old_catch_all_role_professional_is_no_longer_accepted(
    client: Client, gateway: GatewayFixture
) -> None:
    response = await client.get("/api/v1/consents", headers=gateway.auth(GI, "professional"))
    await problem(response, 403, "role_not_allowed")


async def test_a_role_of_another_organisation_type_is_refused(
    client: Client, gateway: GatewayFixture
) -> None:
    """`jeugdbeschermer` belongs to the GI and the RVT, not to the wijkteam."""
    response = await client.get(
        "/api/v1/consents", headers=gateway.auth(WIJKTEAM, "jeugdbeschermer")
    )
    await problem(response, 403, "role_not_allowed")
    response = await client.get("/api/v1/audit/entries", headers=gateway.auth(GI, REGIONAL))
    await problem(response, 403, "role_not_allowed")


async def test_every_organisation_may_assert_its_own_privacy_officer(
    client: Client, gateway: GatewayFixture
) -> None:
    for org in (WIJKTEAM, VEILIG_THUIS, GI, RVT, "rvdk-midden-nederland"):
        response = await client.get(
            "/api/v1/audit/entries", headers=gateway.auth(org, "privacy_officer")
        )
        assert response.status == 200, (org, await response.text())


async def test_each_office_sees_its_region_and_not_another(
    client: Client, gateway: GatewayFixture
) -> None:
    await seed_region_entries(client)
    utrecht = await visible_orgs(client, gateway.auth(VEILIG_THUIS, REGIONAL))
    assert utrecht == {VEILIG_THUIS, WIJKTEAM}
    pilot = await visible_orgs(client, gateway.auth(RVT, REGIONAL))
    assert pilot == {RVT}


async def test_an_office_scope_is_its_configured_regions_not_its_own_region(
    gateway: GatewayFixture, tmp_path: Path, aiohttp_client: Any
) -> None:
    """The RVT (region utrecht-proeftuin) configured as the office of utrecht only."""
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    path = config / "organisations.toml"
    text = path.read_text()
    assert 'privacy_office_for = ["utrecht-proeftuin"]' in text
    path.write_text(
        text.replace(
            'privacy_office_for = ["utrecht-proeftuin"]', 'privacy_office_for = ["utrecht"]'
        )
    )
    client: Client = await aiohttp_client(create_app(replace(gateway.settings, config_dir=config)))
    await seed_region_entries(client)
    assert await visible_orgs(client, gateway.auth(RVT, REGIONAL)) == {VEILIG_THUIS, WIJKTEAM}


@pytest.mark.parametrize("sub", ["Jan de Vries", "=cmd|'/c calc'!A1", "profé", "@SUM(1)"])
async def test_a_sub_the_audit_log_would_refuse_is_401_naming_sub_and_writes_nothing(
    client: Client, gateway: GatewayFixture, sub: str
) -> None:
    response = await client.post(
        "/api/v1/households", json=household_body(), headers=gateway.auth(WIJKTEAM, sub=sub)
    )
    body = await problem(response, 401, "token_invalid")
    assert "`sub`" in body["detail"] and sub not in await response.text()
    assert await count(client, households) == 0
    assert await count(client, audit_entries) == 0
    assert await count(client, replay_cache) == 0


async def test_a_role_outside_the_grammar_is_401_naming_role(
    client: Client, gateway: GatewayFixture
) -> None:
    response = await client.get(
        "/api/v1/consents", headers=gateway.auth(WIJKTEAM, "privacy officer")
    )
    body = await problem(response, 401, "token_invalid")
    assert "`role`" in body["detail"]
    assert await count(client, audit_entries) == 0


async def test_openapi_lists_the_configured_roles_as_an_enum(client: Client) -> None:
    document = await (await client.get("/api/v1/openapi.json")).json()
    roles = document["components"]["schemas"]["Role"]["enum"]
    assert REGIONAL in roles and "privacy_officer" in roles and "hulpverlener" in roles
    assert "professional" not in roles and roles == sorted(roles)


async def test_every_operation_behind_an_organisation_token_documents_the_403(
    client: Client,
) -> None:
    document = await (await client.get("/api/v1/openapi.json")).json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "security" not in operation:
                assert "403" in operation["responses"], (method, path)


async def test_a_refusal_that_cannot_be_audited_is_503_and_still_uses_no_jti(
    client: Client, gateway: GatewayFixture
) -> None:
    async with client.app[AUDIT].engine.begin() as conn:
        await fail_inserts(conn)
    response = await client.get("/api/v1/audit/entries", headers=gateway.auth(WIJKTEAM, REGIONAL))
    await problem(response, 503, "audit_unavailable")
    assert await count(client, replay_cache) == 0
