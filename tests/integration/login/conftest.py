"""The portal login against the real demo OpenID provider, served over HTTP.

`provider` runs `gateway.demo.oidc_provider` on a real socket with the standard
household's people (and an outsider and a person whose BSN fails the elfproef); the
`client` fixture's gateway points its OIDC settings at it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from aiohttp.test_utils import TestServer, unused_port
from consent_support import household_body
from login_support import CLIENT_ID, PEOPLE, REDIRECT, Client
from support import GatewayFixture

from gateway.app import create_app
from gateway.demo.oidc_provider import client_for, create_provider_app, ensure_provider_files


@dataclass
class Provider:
    issuer: str
    server: TestServer


@pytest.fixture
async def provider(gateway: GatewayFixture) -> AsyncIterator[Provider]:
    key, secret_file = ensure_provider_files(gateway.settings.data_dir)
    secret = secret_file.read_text().strip()
    port = unused_port()
    issuer = f"http://127.0.0.1:{port}"
    app = create_provider_app(issuer, [client_for(CLIENT_ID, secret, REDIRECT)], PEOPLE, key)
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    yield Provider(issuer, server)
    await server.close()


@pytest.fixture
def login_gateway(
    gateway: GatewayFixture, provider: Provider, custody_server: TestServer
) -> GatewayFixture:
    """The gateway's settings (custody register included) pointed at `provider`."""
    _, secret_file = ensure_provider_files(gateway.settings.data_dir)
    settings = replace(
        gateway.settings,
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret_file=secret_file,
        oidc_redirect_url=REDIRECT,
    )
    return replace(gateway, settings=settings)


@pytest.fixture
async def client(login_gateway: GatewayFixture, aiohttp_client: Any) -> Client:
    test_client: Client = await aiohttp_client(create_app(login_gateway.settings))
    return test_client


@pytest.fixture
async def household(client: Client, gateway: GatewayFixture) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/households", json=household_body(), headers=gateway.auth("wijkteam-utrecht")
    )
    assert response.status == 201, await response.text()
    body: dict[str, Any] = await response.json()
    return body
