"""The portal login end to end: gateway, demo OpenID provider and custody register on
real sockets; the browser's part played by an HTTP client (cookies handled by hand)."""

from __future__ import annotations

from typing import Any

from consent_support import CHILD_13, MOTHER
from login_support import Client, callback, log_in, pick, start_login
from sqlalchemy import func, select

from gateway.appkeys import AUDIT, AUDIT_READER, ENGINE, HOUSEHOLD_SESSIONS, PSEUDONYMISER
from gateway.audit.query import AuditFilters, Scope
from gateway.auth.sessions import COOKIE_NAME
from gateway.storage.tables import household_sessions


def refused(response: Any, code: str) -> None:
    assert response.status == 302
    assert response.headers["Location"] == f"/login?error={code}"
    assert COOKIE_NAME not in response.cookies or not response.cookies[COOKIE_NAME].value


async def test_a_member_logs_in_through_the_demo_provider_with_a_new_session(
    client: Client, household: dict[str, Any]
) -> None:
    mother = client.app[PSEUDONYMISER].pseudonym(MOTHER)
    planted = await client.app[HOUSEHOLD_SESSIONS].create(mother, household["id"])
    login = await log_in(client)
    response = await callback(client, login.callback_query, login.login_id, session=planted)
    assert response.status == 302 and response.headers["Location"] == "/"
    morsel = response.cookies[COOKIE_NAME]
    token = morsel.value
    assert token and token != planted
    assert morsel["httponly"] and morsel["secure"] and morsel["samesite"] == "Lax"
    assert morsel["path"] == "/" and not morsel["domain"]
    # fixation: the session id the browser came with is gone, the new one works
    assert await client.app[HOUSEHOLD_SESSIONS].resolve(planted) is None
    me = await client.get("/api/v1/me/consents", headers={"Cookie": f"{COOKIE_NAME}={token}"})
    assert me.status == 200
    assert (await me.json())["person"] == mother


async def test_the_login_and_a_refusal_are_audited_with_codes_only(
    client: Client, household: dict[str, Any]
) -> None:
    login = await log_in(client)
    assert (await callback(client, login.callback_query, login.login_id)).status == 302
    outsider = await log_in(client, "outsider")
    await callback(client, outsider.callback_query, outsider.login_id)
    reader = client.app[AUDIT_READER]
    logins = await reader.search(AuditFilters(event_type="auth.login"), Scope(None))
    mother = client.app[PSEUDONYMISER].pseudonym(MOTHER)
    assert [(e.subject, e.household, e.decision) for e in logins.entries] == [
        (mother, household["id"], "permit")
    ]
    refusals = await reader.search(AuditFilters(event_type="auth.login_refused"), Scope(None))
    assert [(e.subject, e.reason) for e in refusals.entries] == [(None, "unknown_person")]
    assert MOTHER not in str(logins.entries) + str(refusals.entries)


async def test_a_wrong_state_is_refused(client: Client, household: dict[str, Any]) -> None:
    login = await log_in(client)
    query = login.callback_query.replace("state=", "state=x")
    refused(await callback(client, query, login.login_id), "state_mismatch")


async def test_a_callback_without_the_login_cookie_is_refused(
    client: Client, household: dict[str, Any]
) -> None:
    login = await log_in(client)
    refused(await callback(client, login.callback_query, None), "login_expired")


async def test_a_callback_from_another_browser_is_refused(
    client: Client, household: dict[str, Any]
) -> None:
    victim = await log_in(client)
    attacker_url, attacker_id = await start_login(client)
    refused(await callback(client, victim.callback_query, attacker_id), "state_mismatch")
    del attacker_url


async def test_a_replayed_callback_and_a_replayed_code_are_refused(
    client: Client, household: dict[str, Any]
) -> None:
    login = await log_in(client)
    assert (await callback(client, login.callback_query, login.login_id)).status == 302
    # the same callback again: its login state was used up
    refused(await callback(client, login.callback_query, login.login_id), "login_expired")
    # the used code with a fresh login's state: the provider refuses the code
    url, login_id = await start_login(client)
    fresh = await pick(url, "mother")
    fresh_state = dict(p.split("=", 1) for p in fresh.split("&"))["state"]
    old_code = dict(p.split("=", 1) for p in login.callback_query.split("&"))["code"]
    replay = f"code={old_code}&state={fresh_state}"
    refused(await callback(client, replay, login_id), "code_refused")


async def test_a_person_in_no_household_gets_no_session(
    client: Client, household: dict[str, Any]
) -> None:
    login = await log_in(client, "outsider")
    refused(await callback(client, login.callback_query, login.login_id), "unknown_person")


async def test_a_bsn_failing_the_elfproef_is_refused(
    client: Client, household: dict[str, Any]
) -> None:
    login = await log_in(client, "badbsn")
    refused(await callback(client, login.callback_query, login.login_id), "invalid_bsn")


async def test_cancelling_at_the_provider_is_refused(
    client: Client, household: dict[str, Any]
) -> None:
    url, login_id = await start_login(client)
    query = await pick(url, "mother", action="cancel")
    refused(await callback(client, query, login_id), "login_cancelled")


async def test_a_provider_that_is_down_is_a_clear_error_not_a_500(
    client: Client, household: dict[str, Any], provider: Any
) -> None:
    await provider.server.close()
    response = await client.get("/login/start", allow_redirects=False)
    refused(response, "provider_unavailable")


async def test_a_child_of_thirteen_logs_in_and_a_child_of_eight_does_not(
    client: Client, household: dict[str, Any]
) -> None:
    teen = await log_in(client, "child13")
    response = await callback(client, teen.callback_query, teen.login_id)
    assert response.headers["Location"] == "/" and response.cookies[COOKIE_NAME].value
    token = response.cookies[COOKIE_NAME].value
    session = await client.app[HOUSEHOLD_SESSIONS].resolve(token)
    assert session is not None
    assert session.person == client.app[PSEUDONYMISER].pseudonym(CHILD_13)
    young = await log_in(client, "child8")
    refused(await callback(client, young.callback_query, young.login_id), "too_young")


async def test_no_session_without_its_audit_entry(
    client: Client, household: dict[str, Any]
) -> None:
    login = await log_in(client)
    await client.app[AUDIT].close()  # the audit log stops accepting entries
    response = await callback(client, login.callback_query, login.login_id)
    refused(response, "service_unavailable")
    async with client.app[ENGINE].connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(household_sessions))).scalar()
    assert count == 0
