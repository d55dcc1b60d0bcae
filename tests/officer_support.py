"""Helpers of the officer console tests: the synthetic officers the demo provider knows,
and a browser's part in the officer login (OIDC, by hand, cookies handled here)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import aiohttp
from login_support import PEOPLE, Client

from gateway.auth.officer_sessions import OFFICER_COOKIE, OFFICER_LOGIN_COOKIE
from gateway.auth.officers import CLAIM_ID, CLAIM_ORGANISATION, CLAIM_ROLE
from gateway.demo.oidc_provider import DemoPerson
from gateway.web.csrf import CSRF_FIELD

OFFICER_REDIRECT = "http://127.0.0.1/fg/oidc/callback"


def officer(key: str, officer_id: str, organisation: str, role: str) -> DemoPerson:
    claims = ((CLAIM_ID, officer_id), (CLAIM_ORGANISATION, organisation), (CLAIM_ROLE, role))
    return DemoPerson(key, "", f"FG {key}", "functionaris", claims)


OFFICERS = (
    # configured in config/privacy_officers.toml
    officer("fg_wijkteam", "fg-wijkteam-utrecht-1", "wijkteam-utrecht", "privacy_officer"),
    officer("fg_vt", "fg-veilig-thuis-utrecht-1", "veilig-thuis-utrecht", "privacy_officer"),
    officer("fg_gi", "fg-gi-jeugdbescherming-1", "gi-jeugdbescherming-demo", "privacy_officer"),
    officer("fg_region", "fg-regio-utrecht-1", "veilig-thuis-utrecht", "regional_privacy_officer"),
    # attacks: a configured identity claiming another office, another role; an unknown one
    officer("fg_wrong_org", "fg-wijkteam-utrecht-1", "veilig-thuis-utrecht", "privacy_officer"),
    officer(
        "fg_wrong_role", "fg-wijkteam-utrecht-1", "wijkteam-utrecht", "regional_privacy_officer"
    ),
    officer("fg_unknown", "fg-nobody-1", "wijkteam-utrecht", "privacy_officer"),
    officer(
        "fg_regional_gi",
        "fg-gi-jeugdbescherming-1",
        "gi-jeugdbescherming-demo",
        "regional_privacy_officer",
    ),
)
EVERYONE = (*PEOPLE, *OFFICERS)


async def officer_login(client: Client, person: str) -> aiohttp.ClientResponse:
    """The officer login of `person` up to the gateway's answer to the callback."""
    start = await client.get("/fg/inloggen/start", allow_redirects=False)
    assert start.status == 302, await start.text()
    url, login_id = start.headers["Location"], start.cookies[OFFICER_LOGIN_COOKIE].value
    params = parse_qsl(urlsplit(url).query)
    async with aiohttp.ClientSession() as http:
        answer = await http.post(
            url.split("?", 1)[0],
            data=[*params, ("person", person), ("action", "login")],
            allow_redirects=False,
        )
        assert answer.status == 302, await answer.text()
        location = answer.headers["Location"]
    assert location.startswith(OFFICER_REDIRECT + "?"), location
    query = location.split("?", 1)[1]
    return await client.get(
        f"/fg/oidc/callback?{query}",
        headers={"Cookie": f"{OFFICER_LOGIN_COOKIE}={login_id}"},
        allow_redirects=False,
    )


async def officer_session(client: Client, person: str) -> str:
    """A logged-in officer's session token."""
    response = await officer_login(client, person)
    assert response.status == 302 and response.headers["Location"] == "/fg", response.headers
    return response.cookies[OFFICER_COOKIE].value


def cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"{OFFICER_COOKIE}={token}", "Accept": "text/html"}


def csrf_of(html: str) -> str:
    found = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)
