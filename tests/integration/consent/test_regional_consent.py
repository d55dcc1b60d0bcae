"""Consent to an organisation *type* is regional: it covers that type's organisations in
the household's region (or the regions the consent names), not every such organisation
in the country. The test configuration adds a synthetic wijkteam in another region."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from consent_support import MOTHER, Client, assert_problem, consent_body, household_body
from support import REPO, GatewayFixture

from gateway.app import create_app
from gateway.demo.keys import ensure_demo_key

HOME = "wijkteam-utrecht"  # the regiehouder, region utrecht
AWAY = "wijkteam-amersfoort-test"  # the same type, region amersfoort (tests only)
AWAY_ORG = f'''
[[organisation]]
id = "{AWAY}"
type = "wijkteam"
name = "Wijkteam Amersfoort (synthetic, tests only)"
region = "amersfoort"
jwks_file = "organisations/{AWAY}.jwks.json"
'''


@pytest.fixture
async def regional(
    gateway: GatewayFixture, custody_server: TestServer, tmp_path: Path, aiohttp_client: Any
) -> Client:
    """A gateway whose configuration also has a wijkteam in another region."""
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    with (config / "organisations.toml").open("a") as fh:
        fh.write(AWAY_ORG)
    data_dir = gateway.settings.data_dir
    gateway.org_keys[AWAY] = ensure_demo_key(AWAY, data_dir, f"organisations/{AWAY}.jwks.json")
    gateway.default_roles[AWAY] = gateway.default_roles[HOME]  # the same type: wijkteam
    settings = replace(
        gateway.settings,
        config_dir=config,
        source_timeout_seconds=0.3,
        exchange_deadline_seconds=0.5,
    )
    client: Client = await aiohttp_client(create_app(settings))
    registered = await client.post(
        "/api/v1/households", json=household_body(), headers=gateway.auth(HOME)
    )
    assert registered.status == 201, await registered.text()
    assert (await registered.json())["region"] == "utrecht"
    return client


async def support_plan_decision(client: Client, gateway: GatewayFixture, org: str) -> Any:
    """The decision on the mother's support plan held by Veilig Thuis (a consent rule)."""
    response = await client.post(
        "/api/v1/exchanges",
        json={
            "subject": {"bsn": MOTHER},
            "purpose": "support_planning",
            "categories": ["support_plan"],
            "sources": ["veilig-thuis-utrecht"],
        },
        headers=gateway.auth(org),
    )
    assert response.status == 200, await response.text()
    (item,) = (await response.json())["results"]
    return item["decision"], item["reason"]


async def record(client: Client, gateway: GatewayFixture, **extra: Any) -> web.Response:
    return await client.post(
        "/api/v1/consents", json=consent_body(MOTHER, **extra), headers=gateway.auth(HOME)
    )


async def test_consent_to_a_type_does_not_cover_that_type_in_another_region(
    regional: Client, gateway: GatewayFixture
) -> None:
    assert (await record(regional, gateway)).status == 201  # recipients: types = ["wijkteam"]
    assert await support_plan_decision(regional, gateway, HOME) == ("permit", "permitted")
    assert await support_plan_decision(regional, gateway, AWAY) == ("deny", "consent_required")


async def test_consent_to_a_type_covers_it_in_a_region_the_consent_names(
    regional: Client, gateway: GatewayFixture
) -> None:
    recorded = await record(regional, gateway, regions=["amersfoort"])
    assert recorded.status == 201, await recorded.text()
    assert (await recorded.json())["recipients"]["regions"] == ["amersfoort"]
    assert await support_plan_decision(regional, gateway, AWAY) == ("permit", "permitted")
    # Naming regions replaces the household's region: only the ones named count.
    assert await support_plan_decision(regional, gateway, HOME) == ("deny", "consent_required")


async def test_consent_to_a_named_organisation_holds_wherever_it_is(
    regional: Client, gateway: GatewayFixture
) -> None:
    recorded = await record(regional, gateway, recipients={"organisations": [AWAY]})
    assert recorded.status == 201
    assert await support_plan_decision(regional, gateway, AWAY) == ("permit", "permitted")


@pytest.mark.parametrize(
    "extra",
    [
        {"regions": ["atlantis"]},
        {"regions": "utrecht"},
        {"regions": ["utrecht"], "recipients": {"organisations": [HOME]}},
    ],
)
async def test_consent_regions_must_be_configured_and_apply_to_types(
    regional: Client, gateway: GatewayFixture, extra: dict[str, Any]
) -> None:
    await assert_problem(await record(regional, gateway, **extra), 400, "validation_failed")
