"""Helpers of the portal login tests: a browser's part in the OIDC flow, by hand; the demo
OpenID provider on a real socket and a gateway pointed at it; and the fixtures many test
folders share (`household`, `session_headers`: import them into a folder's conftest)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from consent_support import CHILD_8, CHILD_13, MOTHER, OUTSIDER, household_body
from support import GatewayFixture, free_port

from gateway.appkeys import HOUSEHOLD_SESSIONS, PSEUDONYMISER
from gateway.auth.login_states import LOGIN_COOKIE
from gateway.auth.sessions import COOKIE_NAME
from gateway.demo.oidc_provider import (
    DemoPerson,
    client_for,
    create_provider_app,
    ensure_provider_files,
)

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


@pytest.fixture
async def household(client: Client, gateway: GatewayFixture) -> dict[str, Any]:
    """The standard household, registered by the wijkteam (its regiehouder)."""
    response = await client.post(
        "/api/v1/households", json=household_body(), headers=gateway.auth("wijkteam-utrecht")
    )
    assert response.status == 201, await response.text()
    body: dict[str, Any] = await response.json()
    return body


@pytest.fixture
async def session_headers(client: Client, household: dict[str, Any]) -> dict[str, str]:
    """A household session of the mother (created in the store, as a login would)."""
    person = client.app[PSEUDONYMISER].pseudonym(MOTHER)
    token = await client.app[HOUSEHOLD_SESSIONS].create(person, household["id"])
    return {"Authorization": f"Session {token}"}


async def start_provider(
    gateway: GatewayFixture, people: Sequence[DemoPerson], *redirects: str
) -> tuple[str, TestServer]:
    """The demo OpenID provider with `people` on a real socket, its client allowed
    `redirects` (default the portal's): (its issuer URL, the server to close)."""
    key, secret_file = ensure_provider_files(gateway.settings.data_dir)
    secret = secret_file.read_text().strip()
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    first, *also = redirects or (REDIRECT,)
    demo_client = client_for(CLIENT_ID, secret, first, *also)
    server = TestServer(create_provider_app(issuer, [demo_client], people, key), port=port)
    await server.start_server()
    return issuer, server


def pointed_at(gateway: GatewayFixture, issuer: str, **settings: Any) -> GatewayFixture:
    """The gateway's settings with its OIDC relying party pointed at `issuer`."""
    _, secret_file = ensure_provider_files(gateway.settings.data_dir)
    changed = replace(
        gateway.settings,
        oidc_issuer=issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret_file=secret_file,
        oidc_redirect_url=REDIRECT,
        **settings,
    )
    return replace(gateway, settings=changed)


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
