"""The officer console end to end: gateway and demo OpenID provider (with synthetic
officers) on real sockets, over real HTTP, on both database engines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from login_support import REDIRECT, Client, household, pointed_at, start_provider
from officer_support import EVERYONE, OFFICER_REDIRECT
from support import GatewayFixture, clear_of_the_hour

from gateway.app import create_app

__all__ = ["household"]


@pytest.fixture
async def provider(gateway: GatewayFixture) -> AsyncIterator[str]:
    issuer, server = await start_provider(gateway, EVERYONE, REDIRECT, OFFICER_REDIRECT)
    yield issuer
    await server.close()


@pytest.fixture
def officer_gateway(
    gateway: GatewayFixture, provider: str, custody_server: TestServer
) -> GatewayFixture:
    return pointed_at(gateway, provider, officer_oidc_redirect_url=OFFICER_REDIRECT)


@pytest.fixture
async def client(officer_gateway: GatewayFixture, aiohttp_client: Any) -> Client:
    test_client: Client = await aiohttp_client(create_app(officer_gateway.settings))
    return test_client


@pytest.fixture(autouse=True)
def _clear_of_the_hour() -> None:
    """Bursts of refusals made here are counted per clock hour: never across its turn."""
    clear_of_the_hour()
