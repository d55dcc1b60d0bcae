"""The household's own consent endpoints, with sessions created directly in the store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from consent_support import CHILD_8, FATHER, MOTHER, TEEN_17, Client, assert_problem, consent_body
from support import GatewayFixture

from consent import Actor
from gateway.appkeys import CONSENTS, HOUSEHOLD_SESSIONS, HOUSEHOLDS, PSEUDONYMISER
from gateway.auth.sessions import COOKIE_NAME, set_session_cookie

pytestmark = pytest.mark.usefixtures("household")

SCOPE: dict[str, Any] = {
    "purposes": ["support_planning"],
    "categories": ["support_plan"],
    "recipients": {"organisations": ["wijkteam-utrecht"]},
}


async def login(client: Client, household: dict[str, Any], bsn: str) -> dict[str, str]:
    person = client.app[PSEUDONYMISER].pseudonym(bsn)
    token = await client.app[HOUSEHOLD_SESSIONS].create(person, household["id"])
    return {"Authorization": f"Session {token}"}


async def test_a_person_gives_consent_for_themselves_without_a_notification(
    client: Client, household: dict[str, Any]
) -> None:
    headers = await login(client, household, MOTHER)
    response = await client.post("/api/v1/me/consents", json=SCOPE, headers=headers)
    assert response.status == 201
    created = await response.json()
    mother = client.app[PSEUDONYMISER].pseudonym(MOTHER)
    assert created["subject"] == mother
    assert created["recorded_via"] == "portal"
    assert created["recorded_by"] == {"kind": "person", "person": mother}
    listing = await (await client.get("/api/v1/me/consents", headers=headers)).json()
    assert [c["id"] for c in listing["consents"]] == [created["id"]]
    assert listing["notifications"] == []


async def test_a_parent_with_custody_consents_for_a_child_and_the_child_is_told(
    client: Client, household: dict[str, Any]
) -> None:
    child = client.app[PSEUDONYMISER].pseudonym(CHILD_8)
    headers = await login(client, household, MOTHER)
    response = await client.post(
        "/api/v1/me/consents", json={**SCOPE, "subject": child}, headers=headers
    )
    assert response.status == 201
    created = await response.json()
    assert created["given_by"]["role"] == "custody_holder"
    mother_view = await (await client.get("/api/v1/me/consents", headers=headers)).json()
    assert created["id"] in {c["id"] for c in mother_view["consents"]}
    child_view = await (
        await client.get("/api/v1/me/consents", headers=await login(client, household, CHILD_8))
    ).json()
    assert [(n["consent_id"], n["event"]) for n in child_view["notifications"]] == [
        (created["id"], "granted")
    ]


async def test_a_parent_without_custody_gets_403_and_nothing_is_written(
    client: Client, household: dict[str, Any]
) -> None:
    child = client.app[PSEUDONYMISER].pseudonym(CHILD_8)
    headers = await login(client, household, FATHER)
    response = await client.post(
        "/api/v1/me/consents", json={**SCOPE, "subject": child}, headers=headers
    )
    await assert_problem(response, 403, "no_custody")
    assert await client.app[CONSENTS].for_subject(child) == []


async def test_withdraw_in_the_portal_and_download_receipts(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    professional = await client.post(
        "/api/v1/consents", json=consent_body(TEEN_17), headers=gateway.auth("wijkteam-utrecht")
    )
    consent_id = (await professional.json())["id"]
    headers = await login(client, household, TEEN_17)
    view = await (await client.get("/api/v1/me/consents", headers=headers)).json()
    assert [(n["consent_id"], n["event"]) for n in view["notifications"]] == [
        (consent_id, "granted")
    ]
    response = await client.post(f"/api/v1/me/consents/{consent_id}/withdraw", headers=headers)
    assert response.status == 200
    assert (await response.json())["status"] == "withdrawn"
    again = await client.post(f"/api/v1/me/consents/{consent_id}/withdraw", headers=headers)
    await assert_problem(again, 409, "consent_already_withdrawn")
    receipts = await client.get(f"/api/v1/me/consents/{consent_id}/receipts", headers=headers)
    assert [r["event"] for r in (await receipts.json())["receipts"]] == ["granted", "withdrawn"]
    stranger = await login(client, household, FATHER)
    hidden = await client.post(f"/api/v1/me/consents/{consent_id}/withdraw", headers=stranger)
    await assert_problem(hidden, 404, "not_found")
    hidden = await client.get(f"/api/v1/me/consents/{consent_id}/receipts", headers=stranger)
    await assert_problem(hidden, 404, "not_found")


async def test_the_session_cookie_works_and_bad_sessions_are_401(
    client: Client, household: dict[str, Any]
) -> None:
    person = client.app[PSEUDONYMISER].pseudonym(MOTHER)
    store = client.app[HOUSEHOLD_SESSIONS]
    token = await store.create(person, household["id"])
    ok = await client.get("/api/v1/me/consents", cookies={COOKIE_NAME: token})
    assert ok.status == 200
    assert (await ok.json())["person"] == person
    await assert_problem(await client.get("/api/v1/me/consents"), 401, "unauthenticated")
    wrong = {"Authorization": "Session not-a-token"}
    await assert_problem(
        await client.get("/api/v1/me/consents", headers=wrong), 401, "unauthenticated"
    )
    old = await store.create(
        person,
        household["id"],
        ttl=timedelta(minutes=5),
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    expired = {"Authorization": f"Session {old}"}
    await assert_problem(
        await client.get("/api/v1/me/consents", headers=expired), 401, "unauthenticated"
    )
    await store.revoke(token)
    assert await store.resolve(token) is None


async def test_portal_input_errors(client: Client, household: dict[str, Any]) -> None:
    headers = await login(client, household, MOTHER)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({**SCOPE, "purposes": ["x"]}, 400, "unknown_purpose"),
        ({**SCOPE, "categories": ["x"]}, 400, "unknown_category"),
        ({**SCOPE, "recipients": {"organisations": ["x"]}}, 400, "unknown_organisation"),
        ({**SCOPE, "subject": "999900003"}, 400, "validation_failed"),
        (
            {
                **SCOPE,
                "valid_from": "2027-01-01T00:00:00+01:00",
                "valid_until": "2026-01-01T00:00:00+01:00",
            },
            400,
            "invalid_validity",
        ),
    ]
    for body, status, code in cases:
        response = await client.post("/api/v1/me/consents", json=body, headers=headers)
        await assert_problem(response, status, code)
    listing = await (await client.get("/api/v1/me/consents", headers=headers)).json()
    assert listing["consents"] == []


def test_session_cookie_is_http_only_lax_and_always_secure(gateway: GatewayFixture) -> None:
    """Lax (was Strict): the redirect back from the identity provider is cross-site.
    Secure also without TLS (was: only behind TLS): the `__Host-` prefix demands it and
    browsers accept it on http://127.0.0.1 (the demo)."""
    response = web.Response()
    set_session_cookie(response, "tok", replace(gateway.settings, behind_tls=True))
    morsel = response.cookies[COOKIE_NAME]
    assert morsel["httponly"] is True
    assert morsel["secure"] is True
    assert morsel["samesite"] == "Lax"
    plain = web.Response()
    set_session_cookie(plain, "tok", gateway.settings)
    assert plain.cookies[COOKIE_NAME]["secure"] is True


async def test_an_asserted_custody_relation_gives_no_portal_power_over_the_child(
    client: Client, household: dict[str, Any]
) -> None:
    """A relation in the table that the custody register never confirmed (written around
    it, as before the register existed): the father's portal neither lists the child nor
    may act for it."""
    ps = client.app[PSEUDONYMISER].pseudonym
    child = ps(CHILD_8)
    await client.app[HOUSEHOLDS].custody_granted(
        household["id"],
        ps(FATHER),
        child,
        actor=Actor("professional", organisation="wijkteam-utrecht", professional="p-1"),
    )
    headers = await login(client, household, FATHER)
    response = await client.post(
        "/api/v1/me/consents", json={**SCOPE, "subject": child}, headers=headers
    )
    await assert_problem(response, 403, "no_custody")
    assert await client.app[CONSENTS].for_subject(child) == []


async def test_a_cross_site_write_riding_on_the_cookie_is_refused_and_changes_nothing(
    client: Client, household: dict[str, Any]
) -> None:
    """A page on another site that makes the browser POST a withdrawal: 403, still active."""
    person = client.app[PSEUDONYMISER].pseudonym(MOTHER)
    token = await client.app[HOUSEHOLD_SESSIONS].create(person, household["id"])
    cookies = {COOKIE_NAME: token}
    given = await client.post(
        "/api/v1/me/consents",
        json=SCOPE,
        cookies=cookies,
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert given.status == 201, await given.text()
    consent_id = (await given.json())["id"]
    for headers in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "null"},
    ):
        refused = await client.post(
            f"/api/v1/me/consents/{consent_id}/withdraw", cookies=cookies, headers=headers
        )
        await assert_problem(refused, 403, "csrf_token_invalid")
    listed = await client.get(
        "/api/v1/me/consents", cookies=cookies, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert listed.status == 200  # reading is not a write: a link from elsewhere still works
    states = {c["id"]: c["status"] for c in (await listed.json())["consents"]}
    assert states[consent_id] == "active"
