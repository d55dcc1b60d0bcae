"""Real reference sources, a real gateway signing key and real databases for adapter tests.

The "gateway" here is just an Ed25519 key and a token factory, as the gateway's
own `KeyStore.sign_jwt` would produce them; the sources are the real aiohttp
reference apps on real sockets (pytest-aiohttp's `aiohttp_server`).
"""

from __future__ import annotations

import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.reference.app import create_source_app
from adapters.reference.jwks import StaticJwks
from adapters.reference.synthetic import Population, generate_population

ISSUER = "http://gateway.test"
PG_ENV = "GATEWAY_TEST_DATABASE_URL"


@dataclass(frozen=True)
class GatewayKey:
    """The gateway's signing key as the sources see it: a kid, a private key, a JWKS."""

    kid: str
    private: Ed25519PrivateKey
    jwks: dict[str, Any]

    def sign(self, claims: dict[str, Any], *, kid: str | None = None, alg: str = "EdDSA") -> str:
        return jwt.encode(claims, self.private, algorithm=alg, headers={"kid": kid or self.kid})

    def claims(self, audience: str, *, lifetime: int = 60, **extra: Any) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": ISSUER,
            "aud": audience,
            "sub": "gateway",
            "iat": now,
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
            **extra,
        }

    def token_factory(self, audience: str) -> str:
        return self.sign(self.claims(audience))


def make_key(kid: str) -> GatewayKey:
    private = Ed25519PrivateKey.generate()
    public = jwt.algorithms.OKPAlgorithm.to_jwk(private.public_key(), as_dict=True)
    public.update(kid=kid, use="sig", alg="EdDSA")
    return GatewayKey(kid=kid, private=private, jwks={"keys": [public]})


@pytest.fixture(scope="session")
def population() -> Population:
    return generate_population(seed=2026, households=12, today=date(2026, 3, 2))


@pytest.fixture(scope="session")
def gateway_key() -> GatewayKey:
    return make_key("gw-test-1")


@pytest.fixture(scope="session")
def issuer() -> str:
    """The `iss` the reference sources expect from the gateway."""
    return ISSUER


@pytest.fixture(scope="session")
def new_gateway_key() -> Callable[[str], GatewayKey]:
    """Make another gateway key (a rotation, or a forger using the same kid)."""
    return make_key


@pytest.fixture
def tokens(gateway_key: GatewayKey) -> Callable[[str], str]:
    """The gateway's token factory: audience -> a fresh, valid, signed JWT."""
    return gateway_key.token_factory


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def start_source(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
    population: Population,
    gateway_key: GatewayKey,
) -> Callable[..., Awaitable[TestServer]]:
    """Start the reference source of an organisation type; returns its running server."""

    async def start(org_type: str, org_id: str | None = None) -> TestServer:
        app = create_source_app(
            org_id or org_type,
            org_type,
            population,
            StaticJwks(gateway_key.jwks),
            audience=org_id or org_type,
            gateway_issuer=ISSUER,
        )
        return await aiohttp_server(app)

    return start


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def rvdk_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, str | None]]:
    """(URL, schema) of an empty place for the RvdK database; a unique schema on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'rvdk.db'}", None
        return
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV}=postgresql+asyncpg://HOST:PORT/DB")
    schema = "rvdk_test_" + secrets.token_hex(6)
    try:
        yield url, schema
    finally:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        finally:
            await engine.dispose()
