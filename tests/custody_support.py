"""The reference custody register as the test suites run it: a real aiohttp service
(`adapters.reference.custody_register`) over the demo's synthetic population plus the
people of `consent_support`'s standard household, verifying the gateway's tokens."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer
from consent_support import (
    CHILD_6,
    CHILD_8,
    CHILD_13,
    FATHER,
    MOTHER,
    OUTSIDER,
    SECOND_PARENT,
    TEEN_17,
    years_ago,
)
from support import CONFIG_DIR, GatewayFixture

from adapters.reference.custody_register import CustodyRegister, create_custody_register_app
from adapters.reference.jwks import StaticJwks
from gateway.auth.keys import KeyStore
from gateway.auth.organisations import OrganisationRegistry
from gateway.demo.seed import demo_population

__all__ = ["serve_custody_register", "standard_register"]


def standard_register(data_dir: Path) -> CustodyRegister:
    """What the register knows in every test: the demo population, and the standard
    household (the mother has custody of all three children; the father of none), and a
    child of 6 over whom the mother and a second parent share custody."""
    registry = OrganisationRegistry.load(
        CONFIG_DIR / "organisations.toml", data_dir=data_dir, require_keys=False
    )
    register = CustodyRegister.from_population(demo_population(registry))
    for bsn, years in ((MOTHER, 40), (FATHER, 42), (SECOND_PARENT, 41)):
        register.add_person(bsn, date.fromisoformat(years_ago(years)))
    register.add_person(OUTSIDER, date(1980, 1, 1))
    register.add_person(CHILD_8, date.fromisoformat(years_ago(8)), (MOTHER,))
    register.add_person(CHILD_6, date.fromisoformat(years_ago(6)), (MOTHER, SECOND_PARENT))
    register.add_person(CHILD_13, date.fromisoformat(years_ago(13)), (MOTHER,))
    register.add_person(TEEN_17, date.fromisoformat(years_ago(17)), (MOTHER,))
    return register


async def serve_custody_register(
    aiohttp_server: Any, gateway: GatewayFixture, register: CustodyRegister
) -> TestServer:
    """Run `register` on a real socket and point the gateway's settings at it."""
    jwks = KeyStore.load(gateway.settings.keys_dir).jwks()
    app = create_custody_register_app(register, StaticJwks(jwks), gateway.settings.audience)
    server: TestServer = await aiohttp_server(app)
    url = str(server.make_url("")).rstrip("/")
    gateway.settings = replace(gateway.settings, custody_register_url=url)
    return server
