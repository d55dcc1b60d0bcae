"""A custody register that answers what no JSON reader expects, at each gateway call site.

JSON nested deeper than the parser's stack, or a number with more digits than Python
converts, are not `JSONDecodeError`s; each must still be the register being unavailable
(503 `custody_register_unavailable`, nothing written), never a 500. Real sockets, real
HTTP, both engines.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from aiohttp.typedefs import Handler
from consent_support import CHILD_8, MOTHER, assert_problem, consent_body, household_body, snapshot
from custody_support import standard_register
from sqlalchemy import update
from support import GatewayFixture

from adapters.reference.custody_register import create_custody_register_app
from adapters.reference.jwks import StaticJwks
from consent.tables import custody
from gateway.app import create_app
from gateway.appkeys import ENGINE, PSEUDONYMISER
from gateway.auth.keys import KeyStore

Client = TestClient[web.Request, web.Application]
WIJKTEAM = "wijkteam-utrecht"
HOSTILE = {
    "too_deep": b'{"personen": ' + b"[" * 100_000,
    "too_many_digits": b'{"personen": [], "n": 1' + b"0" * 5000 + b"}",
}


@pytest.fixture
async def switch() -> dict[str, bytes]:
    """What the register answers instead of its facts (empty: its facts)."""
    return {}


@pytest.fixture
async def hostile_client(
    gateway: GatewayFixture, aiohttp_server: Any, aiohttp_client: Any, switch: dict[str, bytes]
) -> Client:
    @web.middleware
    async def hostile(request: web.Request, handler: Handler) -> web.StreamResponse:
        if "body" in switch:
            return web.Response(body=switch["body"], content_type="application/json")
        return await handler(request)

    jwks = KeyStore.load(gateway.settings.keys_dir).jwks()
    register = create_custody_register_app(
        standard_register(gateway.settings.data_dir), StaticJwks(jwks), gateway.settings.audience
    )
    register.middlewares.append(hostile)
    server = await aiohttp_server(register)
    gateway.settings = replace(
        gateway.settings, custody_register_url=str(server.make_url("")).rstrip("/")
    )
    client: Client = await aiohttp_client(create_app(gateway.settings))
    return client


@pytest.mark.parametrize("answer", list(HOSTILE))
async def test_a_hostile_register_answer_at_registration_is_503_and_nothing_written(
    hostile_client: Client,
    gateway: GatewayFixture,
    database_url: str,
    switch: dict[str, bytes],
    answer: str,
) -> None:
    switch["body"] = HOSTILE[answer]
    before = await snapshot(database_url)
    response = await hostile_client.post(
        "/api/v1/households", json=household_body(), headers=gateway.auth(WIJKTEAM)
    )
    await assert_problem(response, 503, "custody_register_unavailable")
    assert await snapshot(database_url) == before


@pytest.mark.parametrize("answer", list(HOSTILE))
async def test_a_hostile_register_answer_for_a_paper_consent_on_stale_custody_is_503(
    hostile_client: Client,
    gateway: GatewayFixture,
    database_url: str,
    switch: dict[str, bytes],
    answer: str,
) -> None:
    registered = await hostile_client.post(
        "/api/v1/households", json=household_body(), headers=gateway.auth(WIJKTEAM)
    )
    assert registered.status == 201, await registered.text()
    child = hostile_client.app[PSEUDONYMISER].pseudonym(CHILD_8)
    async with hostile_client.app[ENGINE].begin() as conn:  # custody confirmed an hour ago
        await conn.execute(
            update(custody)
            .where(custody.c.child == child)
            .values(confirmed_at=datetime.now(UTC) - timedelta(hours=1))
        )
    switch["body"] = HOSTILE[answer]
    before = await snapshot(database_url)
    paper = await hostile_client.post(
        "/api/v1/consents",
        json=consent_body(CHILD_8, given_by={"bsn": MOTHER}),
        headers=gateway.auth(WIJKTEAM),
    )
    await assert_problem(paper, 503, "custody_register_unavailable")
    assert await snapshot(database_url) == before
