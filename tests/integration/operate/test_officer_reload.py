"""The privacy officers reload with the rest of the configuration: an officer added to
`privacy_officers.toml` may log in after a reload (not before), one removed loses the
console at once, and a broken file keeps the officers in force (`officers_invalid`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from support import GatewayFixture

from gateway.app import create_app
from gateway.appkeys import LIVE_CONFIG, OFFICERS
from gateway.auth.officers import CLAIM_ID, CLAIM_ORGANISATION, CLAIM_ROLE, Officer

Client = TestClient[web.Request, web.Application]
NEW = Officer("fg-wijkteam-utrecht-2", "wijkteam-utrecht", "privacy_officer")


def _entry(officer: Officer) -> str:
    return (
        f'\n[[officer]]\nid = "{officer.id}"\norganisation = "{officer.organisation}"\n'
        f'role = "{officer.role}"\n'
    )


def _claims(officer: Officer) -> dict[str, str]:
    return {
        CLAIM_ID: officer.id,
        CLAIM_ORGANISATION: officer.organisation,
        CLAIM_ROLE: officer.role,
    }


async def test_an_officer_added_to_the_file_counts_after_reload(
    ops_gateway: GatewayFixture, aiohttp_client: Any
) -> None:
    client: Client = await aiohttp_client(create_app(ops_gateway.settings))
    path = ops_gateway.settings.config_dir / "privacy_officers.toml"
    shipped = path.read_text()
    officers = client.app[OFFICERS]
    known = len(officers)
    path.write_text(shipped + _entry(NEW))
    assert officers.get(NEW.id) is None  # not before the reload
    outcome = await client.app[LIVE_CONFIG].reload()
    assert outcome.ok and outcome.changed and outcome.generation == 2
    assert officers.get(NEW.id) == NEW and officers.check(_claims(NEW)) == NEW
    assert len(officers) == known + 1
    # Taken out again: gone after the next reload (a live session is re-checked per request).
    path.write_text(shipped)
    assert (await client.app[LIVE_CONFIG].reload()).changed
    assert officers.get(NEW.id) is None and len(officers) == known
    # Nothing changed on disk: no new generation.
    same = await client.app[LIVE_CONFIG].reload()
    assert same.ok and not same.changed and same.generation == 3


async def test_a_broken_officers_file_keeps_the_officers_in_force(
    ops_gateway: GatewayFixture, aiohttp_client: Any
) -> None:
    client: Client = await aiohttp_client(create_app(ops_gateway.settings))
    path = ops_gateway.settings.config_dir / "privacy_officers.toml"
    before = set(client.app[OFFICERS])
    # A regional role for an organisation that is no region's privacy office.
    path.write_text(
        path.read_text() + _entry(Officer("fg-x", "wijkteam-utrecht", "regional_privacy_officer"))
    )
    outcome = await client.app[LIVE_CONFIG].reload()
    assert not outcome.ok and outcome.code == "officers_invalid"
    assert outcome.file == "privacy_officers.toml" and outcome.generation == 1
    assert set(client.app[OFFICERS]) == before and client.app[OFFICERS].get("fg-x") is None
    ready = await (await client.get("/readyz")).json()
    assert ready["configuration"]["error"] == "officers_invalid"
