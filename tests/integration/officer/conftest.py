"""The officer console end to end: gateway and demo OpenID provider (with synthetic
officers) on real sockets, over real HTTP, on both database engines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestServer, unused_port
from consent_support import household_body
from login_support import CLIENT_ID, REDIRECT, Client
from officer_support import EVERYONE, OFFICER_REDIRECT
from support import GatewayFixture, clear_of_the_hour

from gateway.app import create_app
from gateway.demo.oidc_provider import client_for, create_provider_app, ensure_provider_files


@pytest.fixture
async def provider(gateway: GatewayFixture) -> AsyncIterator[str]:
    key, secret_file = ensure_provider_files(gateway.settings.data_dir)
    secret = secret_file.read_text().strip()
    port = unused_port()
    issuer = f"http://127.0.0.1:{port}"
    demo_client = client_for(CLIENT_ID, secret, REDIRECT, OFFICER_REDIRECT)
    server = TestServer(create_provider_app(issuer, [demo_client], EVERYONE, key), port=port)
    await server.start_server()
    yield issuer
    await server.close()


@pytest.fixture
def officer_gateway(
    gateway: GatewayFixture, provider: str, custody_server: TestServer
) -> GatewayFixture:
    _, secret_file = ensure_provider_files(gateway.settings.data_dir)
    settings = replace(
        gateway.settings,
        oidc_issuer=provider,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret_file=secret_file,
        oidc_redirect_url=REDIRECT,
        officer_oidc_redirect_url=OFFICER_REDIRECT,
    )
    return replace(gateway, settings=settings)


@pytest.fixture
async def client(officer_gateway: GatewayFixture, aiohttp_client: Any) -> Client:
    test_client: Client = await aiohttp_client(create_app(officer_gateway.settings))
    return test_client


@pytest.fixture
async def household(client: Client, gateway: GatewayFixture) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/households", json=household_body(), headers=gateway.auth("wijkteam-utrecht")
    )
    assert response.status == 201, await response.text()
    body: dict[str, Any] = await response.json()
    return body


@pytest.fixture(autouse=True)
def _clear_of_the_hour() -> None:
    """Bursts of refusals made here are counted per clock hour: never across its turn."""
    clear_of_the_hour()
