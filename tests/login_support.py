"""Helpers of the portal login tests: a browser's part in the OIDC flow, by hand."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient
from consent_support import CHILD_8, CHILD_13, MOTHER, OUTSIDER

from gateway.auth.login_states import LOGIN_COOKIE
from gateway.auth.sessions import COOKIE_NAME
from gateway.demo.oidc_provider import DemoPerson

Client = TestClient[web.Request, web.Application]
CLIENT_ID = "jeugd-gateway-portal"
REDIRECT = "http://127.0.0.1/oidc/callback"
PEOPLE = (
    DemoPerson("mother", MOTHER, "Moeder Test", "ouder"),
    DemoPerson("outsider", OUTSIDER, "Buiten Staander", "niet in een huishouden"),
    DemoPerson("badbsn", "123456789", "Fout Nummer", "BSN zonder elfproef"),
    DemoPerson("child8", CHILD_8, "Kind Acht", "kind, 8 jaar"),
    DemoPerson("child13", CHILD_13, "Kind Dertien", "kind, 13 jaar"),
)


@dataclass
class Login:
    """One browser's login: its login cookie and the provider's redirect back."""

    login_id: str
    callback_query: str


async def start_login(client: Client) -> tuple[str, str]:
    """GET /login/start: (the provider's authorization URL, the login cookie)."""
    response = await client.get("/login/start", allow_redirects=False)
    assert response.status == 302, await response.text()
    return response.headers["Location"], response.cookies[LOGIN_COOKIE].value


async def pick(authorize_url: str, person: str, action: str = "login") -> str:
    """The person picks `person` on the provider's page; the query of its redirect back."""
    params = parse_qsl(urlsplit(authorize_url).query)
    target = authorize_url.split("?", 1)[0]
    async with aiohttp.ClientSession() as http:
        page = await http.get(authorize_url)
        assert page.status == 200
        assert "DEMO — dit is niet DigiD" in await page.text()
        answer = await http.post(
            target, data=[*params, ("person", person), ("action", action)], allow_redirects=False
        )
        assert answer.status == 302, await answer.text()
        location = answer.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return location.split("?", 1)[1]


async def log_in(client: Client, person: str = "mother") -> Login:
    url, login_id = await start_login(client)
    return Login(login_id, await pick(url, person))


async def callback(
    client: Client, query: str, login_id: str | None, session: str | None = None
) -> aiohttp.ClientResponse:
    cookies = []
    if login_id is not None:
        cookies.append(f"{LOGIN_COOKIE}={login_id}")
    if session is not None:
        cookies.append(f"{COOKIE_NAME}={session}")
    headers = {"Cookie": "; ".join(cookies)} if cookies else {}
    response = await client.get(f"/oidc/callback?{query}", headers=headers, allow_redirects=False)
    return response
