"""Attacks on the console and the officer API that the page tests do not already make:
a household session on every officer page and operation, an organisation token with an
officer role its organisation may not assert, a form posted without its CSRF token."""

from __future__ import annotations

from typing import Any

import pytest
from consent_support import MOTHER
from login_support import Client
from support import GatewayFixture

from gateway.appkeys import AUDIT_READER, HOUSEHOLD_SESSIONS, PSEUDONYMISER
from gateway.audit.query import AuditFilters, Scope
from gateway.auth.sessions import COOKIE_NAME

OPEN = {"web.officer.login", "web.officer.login_start", "web.officer.callback"}


def officer_routes(client: Client) -> list[tuple[str, str]]:
    """Every officer page and API operation (path parameters filled with 1)."""
    found = []
    for route in client.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter", "")
        name = route.name or ""
        if route.method == "HEAD":
            continue
        if (name.startswith("web.officer.") and name not in OPEN) or path.startswith(
            "/api/v1/audit/"
        ):
            found.append((route.method, path.replace("{seq}", "1")))
    assert len(found) >= 15, found
    return sorted(found)


@pytest.fixture
async def household_token(client: Client, household: dict[str, Any]) -> str:
    mother = client.app[PSEUDONYMISER].pseudonym(MOTHER)
    return await client.app[HOUSEHOLD_SESSIONS].create(mother, household["id"], bsn=MOTHER)


async def test_a_household_session_reaches_no_officer_page_or_api(
    client: Client, household_token: str
) -> None:
    before = await client.app[AUDIT_READER].count(AuditFilters(), Scope(None))
    for method, path in officer_routes(client):
        for headers in (
            {"Cookie": f"{COOKIE_NAME}={household_token}", "Accept": "text/html"},
            {"Cookie": f"{COOKIE_NAME}={household_token}"},
            {"Authorization": f"Session {household_token}"},
        ):
            response = await client.request(
                method, path, headers=headers, data={"note": "x"}, allow_redirects=False
            )
            assert response.status == 403, (method, path, headers, response.status)
    after = await client.app[AUDIT_READER].count(AuditFilters(), Scope(None))
    assert after == before  # nothing written, nothing shown


async def test_an_officer_role_the_organisation_may_not_assert_is_refused(
    client: Client, gateway: GatewayFixture
) -> None:
    # the wijkteam is no region's privacy office: only the configuration decides
    regional = gateway.auth("wijkteam-utrecht", "regional_privacy_officer")
    response = await client.get("/api/v1/audit/entries", headers=regional)
    assert response.status == 403
    assert (await response.json())["code"] == "role_not_allowed"
    response = await client.get(
        "/api/v1/audit/entries", headers=gateway.auth("wijkteam-utrecht", "hulpverlener")
    )
    assert response.status == 403
    assert (await response.json())["code"] == "role_required"
    refused = await client.app[AUDIT_READER].search(
        AuditFilters(event_type="auth.role_refused"), Scope(None)
    )
    assert [e.role for e in refused.entries] == ["regional_privacy_officer"]
