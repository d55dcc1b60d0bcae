"""One regiehouder per person, changed only by a hand-over; over real HTTP, both engines."""

from __future__ import annotations

import asyncio
from typing import Any

from consent_support import (
    CHILD_8,
    FATHER,
    OUTSIDER,
    Client,
    assert_problem,
    consent_body,
    household_body,
    snapshot,
)
from sqlalchemy import select
from support import GatewayFixture

from gateway.audit.tables import audit_entries
from gateway.storage.db import create_engine

WIJKTEAM, VT, GI = "wijkteam-utrecht", "veilig-thuis-utrecht", "gi-jeugdbescherming-demo"


def invented_household() -> dict[str, Any]:
    """Another household's child, with an adult who lives elsewhere: every fact true
    (the custody register confirms it), so only who is regiehouder can refuse it. (An
    invented custody claim is refused earlier: `custody_not_confirmed`, test_custody.)"""
    return {
        "members": [
            {"bsn": OUTSIDER, "birth_date": "1980-01-01", "role": "adult"},
            {"bsn": CHILD_8, "birth_date": household_body()["members"][2]["birth_date"],
             "role": "child"},
        ],
        "contact_person": {"professional": "vt-1"},
    }  # fmt: skip


async def event_types(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(audit_entries.c.event_type).order_by("seq"))
            return [str(r) for r in rows.scalars()]
    finally:
        await engine.dispose()


async def test_registering_a_child_who_has_another_regiehouder_is_409_and_nothing_written(
    client: Client, gateway: GatewayFixture, household: dict[str, Any], database_url: str
) -> None:
    before = await snapshot(database_url)
    response = await client.post(
        "/api/v1/households", json=invented_household(), headers=gateway.auth(VT)
    )
    body = await assert_problem(response, 409, "regiehouder_exists")
    # Neither the organisation nor the household is named: that would itself disclose.
    assert WIJKTEAM not in str(body) and household["id"] not in str(body)
    assert CHILD_8 not in str(body)
    assert await snapshot(database_url) == before


async def test_the_same_regiehouder_may_register_a_second_household_with_the_child(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    """Children of separated parents: the father's household, same regiehouder."""
    body = household_body()
    body["members"] = [body["members"][1], body["members"][2]]  # father, child of 8
    body["custody"] = []
    response = await client.post("/api/v1/households", json=body, headers=gateway.auth(WIJKTEAM))
    assert response.status == 201, await response.text()
    assert (await response.json())["id"] != household["id"]


async def test_adding_a_member_who_has_another_regiehouder_is_409_and_nothing_changed(
    client: Client, gateway: GatewayFixture, household: dict[str, Any], database_url: str
) -> None:
    created = await client.post(
        "/api/v1/households",
        json={
            "members": [{"bsn": OUTSIDER, "birth_date": "1980-01-01", "role": "adult"}],
            "contact_person": {"professional": "vt-1"},
        },
        headers=gateway.auth(VT),
    )
    assert created.status == 201
    vt_household = (await created.json())["id"]
    before = await snapshot(database_url)
    response = await client.post(
        f"/api/v1/households/{vt_household}/changes",
        json={
            "change": "member_joined",
            "member": {
                "bsn": CHILD_8,
                "birth_date": household_body()["members"][2]["birth_date"],
                "role": "child",
            },
        },
        headers=gateway.auth(VT),
    )
    await assert_problem(response, 409, "regiehouder_exists")
    assert await snapshot(database_url) == before


async def test_after_a_hand_over_the_new_regiehouder_acts_and_the_old_one_may_not(
    client: Client, gateway: GatewayFixture, household: dict[str, Any], database_url: str
) -> None:
    path = f"/api/v1/households/{household['id']}"
    response = await client.post(
        path + "/transfer",
        json={"to": VT, "contact_person": {"professional": "vt-7"}},
        headers=gateway.auth(WIJKTEAM),
    )
    assert response.status == 200, await response.text()
    moved = await response.json()
    assert moved["regiehouder"] == VT
    assert moved["contact_person"] == {"organisation": VT, "professional": "vt-7"}
    handed = moved["history"][-1]
    assert handed["event"] == "regiehouder_transferred"
    assert handed["detail"]["from"] == WIJKTEAM and handed["detail"]["to"] == VT
    assert handed["actor"]["organisation"] == WIJKTEAM
    assert (await event_types(database_url))[-1] == "household.regiehouder_transferred"

    # The new regiehouder changes the household; the old one no longer sees it.
    change = {"change": "member_moved_out", "member": FATHER}
    ok = await client.post(path + "/changes", json=change, headers=gateway.auth(VT))
    assert ok.status == 200, await ok.text()
    old = await client.post(path + "/changes", json=change, headers=gateway.auth(WIJKTEAM))
    await assert_problem(old, 404, "not_found")
    again = await client.post(
        path + "/transfer",
        json={"to": WIJKTEAM, "contact_person": {"professional": "prof-1"}},
        headers=gateway.auth(WIJKTEAM),
    )
    await assert_problem(again, 404, "not_found")

    # Who is the child's regiehouder now follows the hand-over, not who asks.
    mine = await client.post(
        "/api/v1/households", json=invented_household(), headers=gateway.auth(WIJKTEAM)
    )
    await assert_problem(mine, 409, "regiehouder_exists")
    theirs = await client.post(
        "/api/v1/households", json=invented_household(), headers=gateway.auth(VT)
    )
    assert theirs.status == 201, await theirs.text()


async def test_only_the_current_regiehouder_may_hand_over(
    client: Client, gateway: GatewayFixture, database_url: str
) -> None:
    created = await client.post(
        "/api/v1/households",
        json={
            "members": [{"bsn": OUTSIDER, "birth_date": "1980-01-01", "role": "adult"}],
            "contact_person": {"professional": "vt-1"},
        },
        headers=gateway.auth(VT),
    )
    path = f"/api/v1/households/{(await created.json())['id']}/transfer"
    consent = await client.post(
        "/api/v1/consents", json=consent_body(OUTSIDER), headers=gateway.auth(VT)
    )
    assert consent.status == 201
    before = await snapshot(database_url)
    body = {"to": GI, "contact_person": {"professional": "gi-1"}}
    sees = await client.post(
        path + "?purpose=support_planning", json=body, headers=gateway.auth(WIJKTEAM)
    )
    await assert_problem(sees, 403, "not_regiehouder")
    blind = await client.post(path, json=body, headers=gateway.auth(GI))
    await assert_problem(blind, 404, "not_found")
    unknown = await client.post(path, json={**body, "to": "nobody"}, headers=gateway.auth(VT))
    await assert_problem(unknown, 400, "unknown_organisation")
    itself = await client.post(path, json={**body, "to": VT}, headers=gateway.auth(VT))
    await assert_problem(itself, 400, "validation_failed")
    no_contact = await client.post(path, json={"to": GI}, headers=gateway.auth(VT))
    await assert_problem(no_contact, 400, "validation_failed")
    assert await snapshot(database_url) == before
    missing = await client.post(
        "/api/v1/households/hh_nope/transfer", json=body, headers=gateway.auth(VT)
    )
    await assert_problem(missing, 404, "not_found")


async def test_two_organisations_racing_to_register_one_child_get_one_regiehouder(
    client: Client, gateway: GatewayFixture
) -> None:
    """Concurrent registrations by two organisations: one wins, the other gets 409."""
    body = invented_household()
    responses = await asyncio.gather(
        *(
            client.post("/api/v1/households", json=body, headers=gateway.auth(org))
            for org in (VT, WIJKTEAM, VT, WIJKTEAM, GI, GI)
        )
    )
    created = [await r.json() for r in responses if r.status == 201]
    assert {c["regiehouder"] for c in created} == {created[0]["regiehouder"]}
    for response in responses:
        if response.status != 201:
            await assert_problem(response, 409, "regiehouder_exists")


async def test_a_hand_over_takes_every_household_that_shares_a_member_along(
    client: Client, gateway: GatewayFixture, household: dict[str, Any], database_url: str
) -> None:
    """Seen: handing over the mother's household left the child's second household (the
    father's, same regiehouder) behind, so the child had two regiehouders."""
    body = household_body()
    body["members"] = [body["members"][1], body["members"][2]]  # father, child of 8
    body["custody"] = []
    second = await client.post("/api/v1/households", json=body, headers=gateway.auth(WIJKTEAM))
    assert second.status == 201, await second.text()
    fathers = (await second.json())["id"]
    response = await client.post(
        f"/api/v1/households/{household['id']}/transfer",
        json={"to": VT, "contact_person": {"professional": "vt-7"}},
        headers=gateway.auth(WIJKTEAM),
    )
    assert response.status == 200, await response.text()
    for household_id in (household["id"], fathers):
        read = await client.get(f"/api/v1/households/{household_id}", headers=gateway.auth(VT))
        assert read.status == 200, await read.text()
        assert (await read.json())["regiehouder"] == VT
        old = await client.get(f"/api/v1/households/{household_id}", headers=gateway.auth(WIJKTEAM))
        assert old.status == 404
    # One entry per household handed over, committed with the change.
    types = await event_types(database_url)
    assert types.count("household.regiehouder_transferred") == 2
    # The child has one regiehouder: VT may add them to a new household, the wijkteam not.
    mine = await client.post(
        "/api/v1/households", json=invented_household(), headers=gateway.auth(WIJKTEAM)
    )
    await assert_problem(mine, 409, "regiehouder_exists")
