"""Households over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from consent_support import (
    CHILD_6,
    CHILD_8,
    FATHER,
    MOTHER,
    OUTSIDER,
    SECOND_PARENT,
    Client,
    assert_problem,
    consent_body,
    count_rows,
    household_body,
    years_ago,
)
from support import GatewayFixture

from adapters.reference.custody_register import CustodyRegister
from gateway.appkeys import PSEUDONYMISER

WIJKTEAM, VT, GI = "wijkteam-utrecht", "veilig-thuis-utrecht", "gi-jeugdbescherming-demo"


async def test_register_stores_pseudonyms_not_bsns(
    client: Client, household: dict[str, Any]
) -> None:
    pseudonymise = client.app[PSEUDONYMISER].pseudonym
    assert household["id"].startswith("hh_")
    assert household["regiehouder"] == WIJKTEAM
    assert household["contact_person"] == {"organisation": WIJKTEAM, "professional": "prof-0042"}
    persons = {m["person"] for m in household["members"]}
    assert pseudonymise(MOTHER) in persons
    assert len(persons) == 5
    assert MOTHER not in str(household)
    assert {(c["parent"], c["child"]) for c in household["custody"]} >= {
        (pseudonymise(MOTHER), pseudonymise(CHILD_8))
    }
    assert [e["event"] for e in household["history"]] == ["registered"]


async def test_regiehouder_reads_the_household(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    response = await client.get(
        f"/api/v1/households/{household['id']}", headers=gateway.auth(WIJKTEAM)
    )
    assert response.status == 200
    assert (await response.json())["members"] == household["members"]


async def test_others_get_404_without_a_permitted_purpose(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    path = f"/api/v1/households/{household['id']}"
    await assert_problem(await client.get(path, headers=gateway.auth(GI)), 404, "not_found")
    response = await client.get(path + "?purpose=monitoring", headers=gateway.auth(GI))
    await assert_problem(response, 404, "not_found")
    response = await client.get(path + "?purpose=nonsense", headers=gateway.auth(GI))
    await assert_problem(response, 400, "unknown_purpose")
    response = await client.get("/api/v1/households/hh_nope", headers=gateway.auth(WIJKTEAM))
    await assert_problem(response, 404, "not_found")


async def test_permitted_purpose_with_everyones_consent_may_read(
    client: Client, gateway: GatewayFixture
) -> None:
    """VT is regiehouder; the wijkteam's rule for support_planning needs consent."""
    body = household_body()
    # The mother, the second parent (both with custody, as the register says), the child of 6.
    second = {"bsn": SECOND_PARENT, "birth_date": years_ago(41), "role": "parent"}
    child = {"bsn": CHILD_6, "birth_date": years_ago(6), "role": "child"}
    body["members"] = [body["members"][0], second, child]
    body["custody"] = [
        {"parent": MOTHER, "child": CHILD_6},
        {"parent": SECOND_PARENT, "child": CHILD_6},
    ]
    created = await client.post("/api/v1/households", json=body, headers=gateway.auth(VT))
    assert created.status == 201
    path = f"/api/v1/households/{(await created.json())['id']}?purpose=support_planning"
    await assert_problem(await client.get(path, headers=gateway.auth(WIJKTEAM)), 404, "not_found")
    for subject, given_by in ((MOTHER, MOTHER), (SECOND_PARENT, SECOND_PARENT), (CHILD_6, MOTHER)):
        response = await client.post(
            "/api/v1/consents",
            json=consent_body(subject, given_by={"bsn": given_by}),
            headers=gateway.auth(VT),
        )
        assert response.status == 201, await response.text()
    # The child of 6 needs both parents with custody: the second parent is still missing.
    await assert_problem(await client.get(path, headers=gateway.auth(WIJKTEAM)), 404, "not_found")
    response = await client.post(
        "/api/v1/consents",
        json=consent_body(CHILD_6, given_by={"bsn": SECOND_PARENT}),
        headers=gateway.auth(VT),
    )
    assert response.status == 201
    response = await client.get(path, headers=gateway.auth(WIJKTEAM))
    assert response.status == 200
    assert len((await response.json())["members"]) == 3


async def test_changes_are_recorded_with_history(
    client: Client,
    gateway: GatewayFixture,
    household: dict[str, Any],
    custody_register: CustodyRegister,
) -> None:
    pseudonymise = client.app[PSEUDONYMISER].pseudonym
    path = f"/api/v1/households/{household['id']}/changes"
    auth = gateway.auth
    moved = await client.post(
        path, json={"change": "member_moved_out", "member": FATHER}, headers=auth(WIJKTEAM)
    )
    assert moved.status == 200
    custody_register.end_custody(MOTHER, CHILD_8)  # the court ends it; the register says so
    ended = await client.post(
        path,
        json={"change": "custody_ended", "parent": MOTHER, "child": CHILD_8},
        headers=auth(WIJKTEAM),
    )
    assert ended.status == 200
    custody_register.grant_custody(MOTHER, CHILD_8)  # and restores it later
    granted = await client.post(
        path,
        json={"change": "custody_granted", "parent": {"bsn": MOTHER}, "child": CHILD_8},
        headers=auth(WIJKTEAM),
    )
    contact = await client.post(
        path,
        json={"change": "contact_person_changed", "contact_person": {"professional": "prof-7"}},
        headers=auth(WIJKTEAM),
    )
    assert contact.status == 200
    body = await granted.json()
    father = [m for m in body["members"] if m["person"] == pseudonymise(FATHER)]
    assert len(father) == 1
    assert father[0]["until"] is not None
    assert father[0]["current"] is False
    relations = [
        c
        for c in body["custody"]
        if (c["parent"], c["child"]) == (pseudonymise(MOTHER), pseudonymise(CHILD_8))
    ]
    assert [c["until"] is None for c in relations] == [False, True]  # old one kept, closed
    final = await contact.json()
    assert final["contact_person"]["professional"] == "prof-7"
    assert [e["event"] for e in final["history"]] == [
        "registered",
        "member_moved_out",
        "custody_ended",
        "custody_granted",
        "contact_person_changed",
    ]
    again = await client.post(
        path, json={"change": "member_moved_out", "member": FATHER}, headers=auth(WIJKTEAM)
    )
    await assert_problem(again, 400, "validation_failed")


async def test_only_the_regiehouder_changes_and_others_see_404(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    path = f"/api/v1/households/{household['id']}/changes"
    body = {"change": "member_moved_out", "member": FATHER}
    await assert_problem(
        await client.post(path, json=body, headers=gateway.auth(GI)), 404, "not_found"
    )


async def test_a_reader_with_a_permitted_purpose_may_not_change(
    client: Client, gateway: GatewayFixture
) -> None:
    created = await client.post(
        "/api/v1/households",
        json={
            "members": [{"bsn": OUTSIDER, "birth_date": "1980-01-01", "role": "adult"}],
            "contact_person": {"professional": "vt-1"},
        },
        headers=gateway.auth(VT),
    )
    household_id = (await created.json())["id"]
    consent = await client.post(
        "/api/v1/consents", json=consent_body(OUTSIDER), headers=gateway.auth(VT)
    )
    assert consent.status == 201
    response = await client.post(
        f"/api/v1/households/{household_id}/changes?purpose=support_planning",
        json={"change": "member_moved_out", "member": OUTSIDER},
        headers=gateway.auth(WIJKTEAM),
    )
    await assert_problem(response, 403, "not_regiehouder")


async def test_bad_households_are_refused_and_nothing_written(
    client: Client, gateway: GatewayFixture
) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = []
    bad_bsn = household_body()
    bad_bsn["members"][0]["bsn"] = "123456789"
    cases.append((bad_bsn, 400, "invalid_bsn"))
    bad_custody = household_body()
    bad_custody["custody"].append({"parent": MOTHER, "child": OUTSIDER})
    cases.append((bad_custody, 400, "validation_failed"))
    bad_role = household_body()
    bad_role["members"][0]["role"] = "king"
    cases.append((bad_role, 400, "validation_failed"))
    bad_date = household_body()
    bad_date["members"][0]["birth_date"] = "yesterday"
    cases.append((bad_date, 400, "validation_failed"))
    bad_contact = household_body()
    bad_contact["contact_person"] = {"organisation": "nobody", "professional": "x"}
    cases.append((bad_contact, 400, "unknown_organisation"))
    cases.append(({"members": []}, 400, "validation_failed"))
    for body, status, code in cases:
        response = await client.post(
            "/api/v1/households", json=body, headers=gateway.auth(WIJKTEAM)
        )
        await assert_problem(response, status, code)
    assert await count_rows(gateway.settings.database_url) == (0, 0)
    response = await client.post("/api/v1/households", json=household_body())
    await assert_problem(response, 401, "token_missing")
