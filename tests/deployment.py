"""A running deployment as exchange tests see it (the fixture is in tests/integration/exchange)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from support import GatewayFixture

from adapters.reference.synthetic import Population

Client = TestClient[web.Request, web.Application]


@dataclass
class Deployment:
    client: Client
    gateway: GatewayFixture
    population: Population
    sources: dict[str, TestServer]

    @property
    def app(self) -> web.Application:
        return self.client.app

    async def exchange(self, org: str, body: dict[str, Any], role: str | None = None) -> Any:
        return await self.client.post(
            "/api/v1/exchanges", json=body, headers=self.gateway.auth(org, role)
        )
