"""Discovery (`GET /api/v1/vocabulary`) and answers that name the valid values.

An organisation sees the whole begrippenkader (purposes, categories, organisation types,
organisations, legal bases) with Dutch and English labels, and the roles *its own*
organisation may assert: never another type's. A typo in a purpose, a category, a source
or the token's role is refused at the edge with the valid values and a pointer here.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from support import GatewayFixture

from gateway.appkeys import VOCABULARY

Client = TestClient[web.Request, web.Application]
WIJKTEAM = "wijkteam-utrecht"
VEILIG_THUIS = "veilig-thuis-utrecht"  # a region's privacy office
GI = "gi-jeugdbescherming-demo"
CHILD = "999990019"


async def _vocabulary(client: Client, gateway: GatewayFixture, org: str) -> dict[str, Any]:
    response = await client.get("/api/v1/vocabulary", headers=gateway.auth(org))
    assert response.status == 200, await response.text()
    assert response.headers["API-Version"] == "1.0.0"
    body: dict[str, Any] = await response.json()
    return body


async def test_the_vocabulary_lists_every_value_with_dutch_and_english_labels(
    client: Client, gateway: GatewayFixture
) -> None:
    body = await _vocabulary(client, gateway, WIJKTEAM)
    configured = client.app[VOCABULARY]
    assert [p["id"] for p in body["purposes"]] == sorted(configured.purposes)
    assert [c["id"] for c in body["categories"]] == sorted(configured.categories)
    assert [t["id"] for t in body["organisation_types"]] == sorted(configured.organisation_types)
    assert [b["id"] for b in body["legal_bases"]] == sorted(configured.legal_bases)
    for entry in body["purposes"] + body["categories"] + body["organisation_types"]:
        assert entry["label"]["nl"] and entry["label"]["en"]
    acute = next(p for p in body["purposes"] if p["id"] == "acute_safety")
    assert acute["break_glass"] is True
    assert {c["id"]: c["sensitivity"] for c in body["categories"]}["health"] == "special"
    sources = {o["id"] for o in body["organisations"] if o["source"]}
    assert WIJKTEAM in sources
    assert body["organisation"] == WIJKTEAM and body["organisation_type"] == "wijkteam"


async def test_a_caller_sees_its_own_roles_and_no_other_types_roles(
    client: Client, gateway: GatewayFixture
) -> None:
    wijkteam = await _vocabulary(client, gateway, WIJKTEAM)
    own = [r["id"] for r in wijkteam["roles"]]
    assert own == sorted(client.app[VOCABULARY].organisation_types["wijkteam"].roles)
    assert "jeugdbeschermer" not in own and "regional_privacy_officer" not in own
    hulpverlener = next(r for r in wijkteam["roles"] if r["id"] == "hulpverlener")
    assert hulpverlener["label"]["nl"] != hulpverlener["label"]["en"]
    by_type = {t["id"]: t for t in wijkteam["organisation_types"]}
    assert [r["id"] for r in by_type["wijkteam"]["roles"]] == own
    assert all("roles" not in t for key, t in by_type.items() if key != "wijkteam")

    gi = await _vocabulary(client, gateway, GI)
    assert "jeugdbeschermer" in [r["id"] for r in gi["roles"]]
    assert "hulpverlener" not in [r["id"] for r in gi["roles"]]
    office = await _vocabulary(client, gateway, VEILIG_THUIS)
    assert "regional_privacy_officer" in [r["id"] for r in office["roles"]]


async def test_the_vocabulary_needs_an_organisation_token(client: Client) -> None:
    response = await client.get("/api/v1/vocabulary")
    assert response.status == 401
    body = await response.json()
    assert body["code"] == "token_missing" and "purposes" not in body


async def test_a_role_typo_is_refused_at_the_edge_with_the_valid_roles(
    client: Client, gateway: GatewayFixture
) -> None:
    response = await client.post(
        "/api/v1/exchanges",
        headers=gateway.auth(WIJKTEAM, role="hulpverlenr"),
        json={"subject": {"bsn": CHILD}, "purpose": "support_planning", "categories": ["school"]},
    )
    assert response.status == 403
    body = await response.json()
    assert body["code"] == "role_not_allowed"
    assert body["valid_roles"] == sorted(
        client.app[VOCABULARY].organisation_types["wijkteam"].roles
    )
    assert body["vocabulary_url"] == "/api/v1/vocabulary"
    assert "jeugdbeschermer" not in str(body)  # another type's roles stay its own


async def test_another_types_role_is_refused_the_same_way(
    client: Client, gateway: GatewayFixture
) -> None:
    response = await client.get(
        "/api/v1/vocabulary", headers=gateway.auth(WIJKTEAM, role="jeugdbeschermer")
    )
    assert response.status == 403
    assert (await response.json())["code"] == "role_not_allowed"


async def test_an_unknown_purpose_names_the_valid_purposes(
    client: Client, gateway: GatewayFixture
) -> None:
    response = await client.post(
        "/api/v1/exchanges",
        headers=gateway.auth(WIJKTEAM),
        json={"subject": {"bsn": CHILD}, "purpose": "suport_planning", "categories": ["school"]},
    )
    assert response.status == 400
    body = await response.json()
    assert body["code"] == "unknown_purpose"
    assert body["valid_values"] == sorted(client.app[VOCABULARY].purposes)
    assert body["vocabulary_url"] == "/api/v1/vocabulary"
    assert "/api/v1/vocabulary" in body["detail"]


async def test_an_unknown_category_and_source_name_the_valid_ones(
    client: Client, gateway: GatewayFixture
) -> None:
    response = await client.post(
        "/api/v1/exchanges",
        headers=gateway.auth(WIJKTEAM),
        json={"subject": {"bsn": CHILD}, "purpose": "support_planning", "categories": ["helth"]},
    )
    body = await response.json()
    assert body["code"] == "unknown_category"
    assert body["valid_values"] == sorted(client.app[VOCABULARY].categories)
    response = await client.post(
        "/api/v1/exchanges",
        headers=gateway.auth(WIJKTEAM),
        json={
            "subject": {"bsn": CHILD},
            "purpose": "support_planning",
            "categories": ["school"],
            "sources": ["wijkteam-utrect"],
        },
    )
    body = await response.json()
    assert body["code"] == "unknown_source" and WIJKTEAM in body["valid_values"]


async def test_a_consent_with_an_unknown_purpose_names_the_valid_ones(
    client: Client, gateway: GatewayFixture
) -> None:
    response = await client.get(
        "/api/v1/households/hh_x?purpose=nope", headers=gateway.auth(WIJKTEAM)
    )
    body = await response.json()
    if body["code"] == "unknown_purpose":
        assert body["valid_values"] == sorted(client.app[VOCABULARY].purposes)
