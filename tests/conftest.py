"""Fixtures for every suite.

`database_url` is parametrised over SQLite and PostgreSQL: each test gets a fresh,
empty database. PostgreSQL runs when `GATEWAY_TEST_DATABASE_URL` names a server
(e.g. postgresql+asyncpg://127.0.0.1:5432/test); otherwise those cases are skipped
with that reason, so a laptop without PostgreSQL still passes.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from custody_support import serve_custody_register, standard_register
from hypothesis import settings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from support import GatewayFixture, make_gateway_fixture, migrate

from adapters.reference.custody_register import CustodyRegister
from gateway.app import create_app
from gateway.storage.db import create_engine, dispose

pytest_plugins = ["aiosqlite_guard"]

# Hypothesis checks properties, not speed: its per-example deadline (200 ms) fails tests
# on a busy machine for no fault of the code. Speed is measured in bench/, never here.
settings.register_profile("gateway", deadline=None)
settings.load_profile("gateway")


@pytest.fixture(autouse=True)
def _structlog_config_restored() -> Iterator[None]:
    """A test that runs `gateway.cli.main` configures logging onto that test's captured
    stdout; without this, a later test logs into the closed stream (I/O on closed file)."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


PG_ENV = "GATEWAY_TEST_DATABASE_URL"
PG_SKIP = f"PostgreSQL not configured: set {PG_ENV}=postgresql+asyncpg://HOST:PORT/DB"


def _pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV) or None


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for this test, on each engine."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
        return
    admin = _pg_admin_url()
    if admin is None:
        pytest.skip(PG_SKIP)
    name = "gw_test_" + secrets.token_hex(6)
    asyncio.run(_pg_admin(admin, f'CREATE DATABASE "{name}"'))
    base = admin.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _pg_admin(url: str, statement: str) -> None:
    engine = create_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"


@pytest.fixture
async def gateway(database_url: str, tmp_path: Path) -> GatewayFixture:
    """Keys, organisation keys and a migrated database: everything `create_app` needs."""
    fixture = make_gateway_fixture(tmp_path / "data", database_url)
    await migrate(database_url)
    return fixture


@pytest.fixture
def custody_register(gateway: GatewayFixture) -> CustodyRegister:
    """The reference custody register's facts (a test may change them: a court ends custody)."""
    return standard_register(gateway.settings.data_dir)


@pytest.fixture
async def custody_server(
    gateway: GatewayFixture, custody_register: CustodyRegister, aiohttp_server: Any
) -> TestServer:
    """The reference custody register on a real socket; the gateway's settings point at it."""
    return await serve_custody_register(aiohttp_server, gateway, custody_register)


@pytest.fixture
async def client(
    gateway: GatewayFixture, custody_server: TestServer, aiohttp_client: Any
) -> TestClient[web.Request, web.Application]:
    """A real HTTP client against a gateway app on a real socket (and its custody register)."""
    app = create_app(gateway.settings)
    test_client: TestClient[web.Request, web.Application] = await aiohttp_client(app)
    return test_client


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh, migrated database of each engine kind (disposed with its
    write runner afterwards)."""
    await migrate(database_url)
    engine = create_engine(database_url)
    yield engine
    await dispose(engine)
