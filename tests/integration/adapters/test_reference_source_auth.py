"""A reference source accepts only short-lived tokens the gateway signed for it."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.http import QUERY_PATH
from adapters.reference.app import SEEN_KEY, create_source_app
from adapters.reference.jwks import RemoteJwks, StaticJwks
from adapters.reference.synthetic import Population

Client = TestClient[web.Request, web.Application]
AUDIENCE = "gi-midden"
ISSUER = "http://gateway.test"  # as the `issuer` fixture


class GatewayKey(Protocol):
    """The conftest's gateway signing key, as far as these tests use it."""

    kid: str
    jwks: dict[str, Any]

    def sign(self, claims: dict[str, Any], *, kid: str | None = None) -> str: ...

    def claims(self, audience: str, *, lifetime: int = 60, **extra: Any) -> dict[str, Any]: ...


@pytest.fixture(autouse=True)
def _same_issuer(issuer: str) -> None:
    assert issuer == ISSUER


@pytest.fixture
async def client(
    aiohttp_client: Callable[[web.Application], Awaitable[Client]],
    population: Population,
    gateway_key: GatewayKey,
) -> Client:
    app = create_source_app(
        AUDIENCE, "gi", population, StaticJwks(gateway_key.jwks), AUDIENCE, ISSUER
    )
    return await aiohttp_client(app)


async def query(client: Client, token: str | None, bsn: str) -> tuple[int, dict[str, Any]]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    body = {"bsn": bsn, "categories": ["protection_measures"], "purpose": "support_planning"}
    response = await client.post(QUERY_PATH, json=body, headers=headers)
    if response.status == 401:
        assert response.content_type == "application/problem+json"
    return response.status, await response.json(content_type=None)


async def test_valid_token_gets_everything_the_source_holds(
    client: Client, gateway_key: GatewayKey, population: Population
) -> None:
    bsn = population.scenarios["child_under_ots"]

    status, body = await query(client, gateway_key.sign(gateway_key.claims(AUDIENCE)), bsn)

    assert status == 200
    assert body["gevonden"] is True
    # Sloppy on purpose: far more than the one requested category.
    assert {"maatregelen", "beschikkingen", "plan_van_aanpak", "werkaantekeningen"} <= set(body)


def _forged(key: GatewayKey) -> str:
    forger = Ed25519PrivateKey.generate()  # same kid, different private key
    return jwt.encode(key.claims(AUDIENCE), forger, algorithm="EdDSA", headers={"kid": key.kid})


def _hs256(key: GatewayKey) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 60}
    return jwt.encode(claims, "a-shared-secret-of-32-bytes-or-more!", algorithm="HS256")


def _unsigned(key: GatewayKey) -> str:
    return jwt.encode(key.claims(AUDIENCE), None, algorithm="none", headers={"kid": key.kid})


def _without_exp(key: GatewayKey) -> str:
    claims = key.claims(AUDIENCE)
    del claims["exp"]
    return key.sign(claims)


def _expired(key: GatewayKey) -> str:
    claims = key.claims(AUDIENCE)
    claims.update(iat=claims["iat"] - 200, exp=claims["iat"] - 60)
    return key.sign(claims)


@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        (_forged, "token_invalid"),
        (_hs256, "token_invalid"),
        (_unsigned, "token_invalid"),
        (_without_exp, "token_invalid"),
        (_expired, "token_expired"),
        (lambda k: k.sign(k.claims("wijkteam")), "token_invalid"),  # another source's audience
        (lambda k: k.sign(k.claims(AUDIENCE, iss="http://evil.test")), "token_invalid"),
        (lambda k: k.sign(k.claims(AUDIENCE, lifetime=3600)), "token_invalid"),  # > 5 minutes
        (lambda k: k.sign(k.claims(AUDIENCE), kid="rotated-away"), "unknown_key"),
        (lambda k: "not-a-jwt", "token_invalid"),
    ],
    ids=[
        "forged",
        "hs256",
        "alg-none",
        "no-exp",
        "expired",
        "wrong-aud",
        "wrong-iss",
        "too-long-lived",
        "unknown-kid",
        "garbage",
    ],
)
async def test_bad_tokens_are_refused_with_401(
    client: Client,
    gateway_key: GatewayKey,
    population: Population,
    make_token: Callable[[GatewayKey], str],
    code: str,
) -> None:
    bsn = population.scenarios["child_under_ots"]

    status, body = await query(client, make_token(gateway_key), bsn)

    assert status == 401
    assert body["code"] == code
    assert "maatregelen" not in body
    assert len(client.app[SEEN_KEY]) == 0


async def test_missing_token_is_refused(client: Client, population: Population) -> None:
    status, body = await query(client, None, population.scenarios["child_under_ots"])

    assert status == 401
    assert body["code"] == "token_missing"


async def test_invalid_bsn_is_a_400(client: Client, gateway_key: GatewayKey) -> None:
    status, body = await query(client, gateway_key.sign(gateway_key.claims(AUDIENCE)), "123456789")

    assert status == 400
    assert body["code"] == "invalid_bsn"


async def test_remote_jwks_picks_up_a_rotated_key(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
    aiohttp_client: Callable[[web.Application], Awaitable[Client]],
    population: Population,
    gateway_key: GatewayKey,
    new_gateway_key: Callable[[str], GatewayKey],
) -> None:
    published: dict[str, Any] = {"keys": list(gateway_key.jwks["keys"])}
    fetches: list[int] = []

    async def jwks(request: web.Request) -> web.Response:
        fetches.append(1)
        return web.json_response(published)

    gateway_app = web.Application()
    gateway_app.router.add_get("/.well-known/jwks.json", jwks)
    gateway = await aiohttp_server(gateway_app)
    remote = RemoteJwks(str(gateway.make_url("/.well-known/jwks.json")), min_refresh_seconds=0)
    client = await aiohttp_client(
        create_source_app(AUDIENCE, "gi", population, remote, AUDIENCE, ISSUER)
    )
    bsn = population.scenarios["child_under_ots"]

    first, _ = await query(client, gateway_key.sign(gateway_key.claims(AUDIENCE)), bsn)
    again, _ = await query(client, gateway_key.sign(gateway_key.claims(AUDIENCE)), bsn)
    rotated = new_gateway_key("gw-test-2")
    published["keys"] = rotated.jwks["keys"] + published["keys"]
    after_rotation, _ = await query(client, rotated.sign(rotated.claims(AUDIENCE)), bsn)

    assert (first, again, after_rotation) == (200, 200, 200)
    assert len(fetches) == 2  # once at first use, once for the unknown kid; cached otherwise
