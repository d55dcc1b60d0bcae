"""NL API Design Rules: an `API-Version` header on every API answer (problems too), and
`info.contact` and `servers` in the OpenAPI document."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient
from support import GatewayFixture

from gateway.appkeys import SETTINGS

Client = TestClient[web.Request, web.Application]


async def test_every_api_answer_carries_the_api_version(
    client: Client, gateway: GatewayFixture
) -> None:
    spec = await (await client.get("/api/v1/openapi.json")).json()
    version = spec["info"]["version"]
    answers = [
        await client.get("/api/v1/openapi.json"),
        await client.get("/api/v1/vocabulary", headers=gateway.auth("wijkteam-utrecht")),
        await client.post("/api/v1/exchanges", json={}),  # 401
        await client.get("/api/v1/no-such-route"),  # 404
        await client.delete("/api/v1/exchanges"),  # 405
    ]
    for response in answers:
        assert response.headers.get("API-Version") == version, response.url
    assert version.count(".") == 2  # the full version: major.minor.patch


async def test_the_spec_names_a_contact_and_this_server(client: Client) -> None:
    spec = await (await client.get("/api/v1/openapi.json")).json()
    base = client.app[SETTINGS].base_url
    assert spec["servers"] == [{"url": base, "description": "This gateway"}]
    contact = spec["info"]["contact"]
    assert contact["name"] and contact["url"] == base
    assert "/api/v1/vocabulary" in spec["paths"]
