"""A whole deployment for exchange tests: reference sources and the reference custody
register on real sockets, households seeded through the register."""

from __future__ import annotations

import asyncio
import shutil
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from deployment import Deployment
from support import REPO, GatewayFixture

from adapters.reference.app import create_source_app
from adapters.reference.jwks import StaticJwks
from adapters.reference.sqlsource import build_reference_database
from gateway.app import create_app
from gateway.appkeys import (
    CASES,
    CONSENTS,
    CUSTODY,
    HOUSEHOLDS,
    KEYS,
    ORGANISATIONS,
    POLICIES,
    PSEUDONYMISER,
)
from gateway.demo.seed import demo_population, seed_demo

Client = TestClient[web.Request, web.Application]


async def _hang(request: web.Request) -> web.Response:
    await asyncio.sleep(30)
    return web.json_response({})


def _write_config(target: Path, ports: dict[str, str]) -> None:
    """A copy of config/ whose HTTP adapters point at this test's reference sources."""
    shutil.copytree(REPO / "config", target)
    text = (target / "organisations.toml").read_text()
    for default, actual in ports.items():
        text = text.replace(default, actual)
    (target / "organisations.toml").write_text(text)


@pytest.fixture
async def deployment(
    gateway: GatewayFixture,
    custody_server: TestServer,
    tmp_path: Path,
    aiohttp_server: Any,
    aiohttp_client: Any,
    request: pytest.FixtureRequest,
) -> Deployment:
    hanging = set(getattr(request, "param", ()) or ())
    with (REPO / "config" / "organisations.toml").open("rb") as fh:
        orgs = tomllib.load(fh)["organisation"]
    probe = create_app(gateway.settings)  # to read the registry and the gateway's JWKS
    population = demo_population(probe[ORGANISATIONS])
    jwks = probe[KEYS].jwks()
    servers: dict[str, TestServer] = {}
    ports: dict[str, str] = {}
    for org in orgs:
        adapter = org.get("adapter", {})
        if adapter.get("kind") != "http":
            continue
        if org["id"] in hanging:
            source = web.Application()
            source.router.add_post("/api/v1/records/query", _hang)
        else:
            source = create_source_app(
                org["id"],
                org["type"],
                population,
                StaticJwks(jwks),
                audience=org["id"],
                gateway_issuer=gateway.settings.audience,
            )
        server = await aiohttp_server(source)
        servers[org["id"]] = server
        ports[adapter["base_url"]] = f"http://127.0.0.1:{server.port}"
    config_dir = tmp_path / "config"
    _write_config(config_dir, ports)
    (gateway.settings.data_dir / "sources").mkdir(exist_ok=True)
    await build_reference_database(
        f"sqlite+aiosqlite:///{gateway.settings.data_dir / 'sources' / 'rvdk.db'}",
        population,
        "rvdk-midden-nederland",
    )
    settings = replace(
        gateway.settings,
        config_dir=config_dir,
        source_timeout_seconds=0.5,
        exchange_deadline_seconds=1.0,
    )
    client: Client = await aiohttp_client(create_app(settings))
    app = client.app
    await seed_demo(
        population,
        app[HOUSEHOLDS],
        app[CONSENTS],
        app[PSEUDONYMISER].pseudonym,
        custody=app[CUSTODY].source,
        policy_version=app[POLICIES].version,
        organisations=app[ORGANISATIONS],
        cases=app[CASES],
    )
    return Deployment(client, replace(gateway, settings=settings), population, servers)
