"""The portal login against the real demo OpenID provider, served over HTTP.

`provider` runs `gateway.demo.oidc_provider` on a real socket with the standard
household's people (and an outsider and a person whose BSN fails the elfproef); the
`client` fixture's gateway points its OIDC settings at it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from login_support import PEOPLE, Client, household, pointed_at, start_provider
from support import GatewayFixture

from gateway.app import create_app

__all__ = ["household"]


@dataclass
class Provider:
    issuer: str
    server: TestServer


@pytest.fixture
async def provider(gateway: GatewayFixture) -> AsyncIterator[Provider]:
    issuer, server = await start_provider(gateway, PEOPLE)
    yield Provider(issuer, server)
    await server.close()


@pytest.fixture
def login_gateway(
    gateway: GatewayFixture, provider: Provider, custody_server: TestServer
) -> GatewayFixture:
    """The gateway's settings (custody register included) pointed at `provider`."""
    return pointed_at(gateway, provider.issuer)


@pytest.fixture
async def client(login_gateway: GatewayFixture, aiohttp_client: Any) -> Client:
    test_client: Client = await aiohttp_client(create_app(login_gateway.settings))
    return test_client
