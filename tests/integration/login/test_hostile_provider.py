"""The OIDC callback against a hostile (or broken) identity provider on a real socket:
it answers discovery, its JWKS and the token endpoint, but the ID token it hands over
was issued by someone else, for another client, or for another login. The real relying
party redeems the code over HTTP and must refuse each, with no session."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from consent_support import MOTHER, household_body
from joserfc import jwt
from joserfc.jwk import ECKey
from login_support import CLIENT_ID, REDIRECT, Client, callback, start_login
from support import GatewayFixture, free_port

from gateway.app import create_app
from gateway.appkeys import AUDIT_READER, HOUSEHOLD_SESSIONS
from gateway.audit.query import AuditFilters, Scope
from gateway.auth.sessions import COOKIE_NAME
from gateway.demo.oidc_provider import ensure_provider_files


@dataclass
class Hostile:
    issuer: str
    key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256", private=True))
    changes: dict[str, Any] = field(default_factory=dict)
    nonce: str = ""  # the nonce of the login being answered (from the authorization URL)

    def id_token(self) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": "hostile-sub",
            "iat": now,
            "exp": now + 300,
            "nonce": self.nonce,
            "bsn": MOTHER,
        }
        claims.update(self.changes)
        return jwt.encode({"alg": "ES256", "kid": "h1"}, claims, self.key, algorithms=["ES256"])


def _hostile_app(provider: Hostile) -> web.Application:
    async def discovery(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": provider.issuer,
                "authorization_endpoint": f"{provider.issuer}/authorize",
                "token_endpoint": f"{provider.issuer}/token",
                "jwks_uri": f"{provider.issuer}/jwks",
            }
        )

    async def jwks(request: web.Request) -> web.Response:
        return web.json_response({"keys": [{**provider.key.as_dict(private=False), "kid": "h1"}]})

    async def token(request: web.Request) -> web.Response:
        return web.json_response(
            {"access_token": "x", "token_type": "Bearer", "id_token": provider.id_token()}
        )

    app = web.Application()
    app.router.add_get("/.well-known/openid-configuration", discovery)
    app.router.add_get("/jwks", jwks)
    app.router.add_post("/token", token)
    return app


@pytest.fixture
async def hostile(gateway: GatewayFixture) -> AsyncIterator[Hostile]:
    port = free_port()
    provider = Hostile(f"http://127.0.0.1:{port}")
    server = TestServer(_hostile_app(provider), host="127.0.0.1", port=port)
    await server.start_server()
    yield provider
    await server.close()


@pytest.fixture
async def client(
    gateway: GatewayFixture, hostile: Hostile, custody_server: TestServer, aiohttp_client: Any
) -> Client:
    _, secret_file = ensure_provider_files(gateway.settings.data_dir)
    settings = replace(
        gateway.settings,
        oidc_issuer=hostile.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret_file=secret_file,
        oidc_redirect_url=REDIRECT,
    )
    test_client: Client = await aiohttp_client(create_app(settings))
    registered = await test_client.post(
        "/api/v1/households", json=household_body(), headers=gateway.auth("wijkteam-utrecht")
    )
    assert registered.status == 201, await registered.text()
    return test_client


async def _callback_with(client: Client, hostile: Hostile, **changes: Any) -> Any:
    url, login_id = await start_login(client)
    params = dict(parse_qsl(urlsplit(url).query))
    hostile.nonce = params["nonce"]
    hostile.changes = changes
    return await callback(client, f"state={params['state']}&code=stolen-code", login_id)


async def test_a_good_token_from_the_configured_provider_logs_in(
    client: Client, hostile: Hostile
) -> None:
    response = await _callback_with(client, hostile)  # the control: the same path works
    assert response.status == 302 and response.headers["Location"] == "/"
    assert await client.app[HOUSEHOLD_SESSIONS].resolve(response.cookies[COOKIE_NAME].value)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"iss": "https://evil.example"}, "id_token_invalid"),
        ({"aud": "another-client"}, "id_token_invalid"),
        ({"nonce": "another-login"}, "nonce_mismatch"),
    ],
    ids=["wrong_issuer", "wrong_audience", "wrong_nonce"],
)
async def test_an_id_token_for_another_issuer_audience_or_login_is_refused(
    client: Client, hostile: Hostile, changes: dict[str, Any], code: str
) -> None:
    response = await _callback_with(client, hostile, **changes)
    assert response.status == 302
    assert response.headers["Location"] == f"/login?error={code}"
    assert COOKIE_NAME not in response.cookies or not response.cookies[COOKIE_NAME].value
    refusals = await client.app[AUDIT_READER].search(
        AuditFilters(event_type="auth.login_refused"), Scope(None)
    )
    assert [e.reason for e in refusals.entries] == [code]
    logins = await client.app[AUDIT_READER].search(
        AuditFilters(event_type="auth.login"), Scope(None)
    )
    assert logins.entries == ()
