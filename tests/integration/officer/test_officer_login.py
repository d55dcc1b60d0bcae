"""The officer login: claims checked against the configured offices, a session of its
own (never a household's), timeouts, logout, audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from login_support import Client, callback, log_in
from officer_support import cookie, csrf_of, officer_login, officer_session

from gateway.appkeys import AUDIT_READER, OFFICER_SESSIONS
from gateway.audit.query import AuditFilters, Scope
from gateway.auth.officer_sessions import OFFICER_COOKIE
from gateway.auth.sessions import COOKIE_NAME


async def test_a_configured_officer_logs_in_and_the_login_is_audited(client: Client) -> None:
    token = await officer_session(client, "fg_vt")
    page = await client.get("/fg/logboek", headers=cookie(token))
    assert page.status == 200
    text = await page.text()
    assert "fg-veilig-thuis-utrecht-1" in text and "Logboek" in text
    logins = await client.app[AUDIT_READER].search(
        AuditFilters(event_type="auth.login"), Scope(None)
    )
    [entry] = logins.entries
    assert (entry.requester_org, entry.professional, entry.role, entry.decision) == (
        "veilig-thuis-utrecht",
        "fg-veilig-thuis-utrecht-1",
        "privacy_officer",
        "permit",
    )
    assert entry.details["console"] == "officer"


async def test_the_session_cookie_is_host_only_secure_httponly(client: Client) -> None:
    response = await officer_login(client, "fg_wijkteam")
    morsel = response.cookies[OFFICER_COOKIE]
    assert morsel["httponly"] and morsel["secure"] and morsel["samesite"] == "Lax"
    assert morsel["path"] == "/" and not morsel["domain"]
    assert COOKIE_NAME not in response.cookies


async def _refused_with(client: Client, person: str, code: str) -> None:
    response = await officer_login(client, person)
    assert response.status == 302
    assert response.headers["Location"] == f"/fg/inloggen?fout={code}"
    assert OFFICER_COOKIE not in response.cookies


async def test_claims_for_an_office_not_in_the_configuration_are_refused_and_audited(
    client: Client,
) -> None:
    await _refused_with(client, "fg_unknown", "not_an_officer")
    await _refused_with(client, "fg_wrong_org", "officer_office_mismatch")
    await _refused_with(client, "fg_wrong_role", "officer_office_mismatch")
    # a GI is no region's privacy office: its officer cannot be a regional one
    await _refused_with(client, "fg_regional_gi", "officer_office_mismatch")
    # a household member (a BSN, no officer claims) is no officer either
    await _refused_with(client, "mother", "not_an_officer")
    refusals = await client.app[AUDIT_READER].search(
        AuditFilters(event_type="auth.login_refused"), Scope(None)
    )
    assert sorted(e.reason or "" for e in refusals.entries) == sorted(
        [
            "not_an_officer",
            "officer_office_mismatch",
            "officer_office_mismatch",
            "officer_office_mismatch",
            "not_an_officer",
        ]
    )
    assert (
        await client.app[AUDIT_READER].count(AuditFilters(event_type="auth.login"), Scope(None))
        == 0
    )


async def test_an_officer_cannot_log_in_to_the_household_portal(
    client: Client, household: dict[str, Any]
) -> None:
    login = await log_in(client, "fg_vt")
    response = await callback(client, login.callback_query, login.login_id)
    assert response.headers["Location"] == "/login?error=invalid_bsn"


async def test_an_officer_session_opens_no_household_page_or_api(client: Client) -> None:
    token = await officer_session(client, "fg_vt")
    me = await client.get("/api/v1/me/consents", headers={"Cookie": f"{OFFICER_COOKIE}={token}"})
    assert me.status == 401
    me = await client.get("/api/v1/me/consents", headers={"Authorization": f"Session {token}"})
    assert me.status == 401
    page = await client.get("/mijn-toestemmingen", headers=cookie(token), allow_redirects=False)
    assert page.status == 303 and page.headers["Location"].startswith("/login")


async def test_logout_needs_the_csrf_token_and_ends_the_session(client: Client) -> None:
    token = await officer_session(client, "fg_vt")
    page = await client.get("/fg/logboek", headers=cookie(token))
    csrf = csrf_of(await page.text())
    refused = await client.post("/fg/uitloggen", headers=cookie(token), data={})
    assert refused.status == 403
    assert await client.app[OFFICER_SESSIONS].resolve(token) is not None
    done = await client.post(
        "/fg/uitloggen", headers=cookie(token), data={"csrf_token": csrf}, allow_redirects=False
    )
    assert done.status == 303 and done.headers["Location"] == "/fg/inloggen?fout=logged_out"
    assert await client.app[OFFICER_SESSIONS].resolve(token) is None
    after = await client.get("/fg/logboek", headers=cookie(token), allow_redirects=False)
    assert after.status == 303
    assert after.headers["Location"] == "/fg/inloggen?fout=session_expired"


async def test_idle_and_absolute_timeouts(client: Client) -> None:
    store = client.app[OFFICER_SESSIONS]
    now = datetime.now(UTC)
    token = await store.create(
        "fg-veilig-thuis-utrecht-1", "veilig-thuis-utrecht", "privacy_officer", now=now
    )
    assert await store.resolve(token, now=now + store.idle - timedelta(seconds=1)) is not None
    assert await store.resolve(token, now=now + store.idle * 2 + timedelta(seconds=2)) is None
    other = await store.create(
        "fg-veilig-thuis-utrecht-1", "veilig-thuis-utrecht", "privacy_officer", now=now
    )
    moment = now
    while moment < now + store.absolute - store.idle:  # kept busy, yet ends at the absolute end
        moment += store.idle / 2
        assert await store.resolve(other, now=moment) is not None
    assert await store.resolve(other, now=now + store.absolute) is None


async def test_a_session_of_an_officer_no_longer_configured_stops_working(
    client: Client,
) -> None:
    # a session row naming an office that the configuration does not give this identity
    token = await client.app[OFFICER_SESSIONS].create(
        "fg-veilig-thuis-utrecht-1", "wijkteam-utrecht", "privacy_officer"
    )
    response = await client.get("/fg/logboek", headers=cookie(token), allow_redirects=False)
    assert response.status == 303
    assert await client.app[OFFICER_SESSIONS].resolve(token) is None
