"""Fixtures of the officer insight tests: a household and a household session."""

from __future__ import annotations

from typing import Any

import pytest
from consent_support import MOTHER, Client, household_body
from support import GatewayFixture, clear_of_the_hour

from gateway.appkeys import HOUSEHOLD_SESSIONS, PSEUDONYMISER


@pytest.fixture
async def household(client: Client, gateway: GatewayFixture) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/households", json=household_body(), headers=gateway.auth("wijkteam-utrecht")
    )
    assert response.status == 201, await response.text()
    body: dict[str, Any] = await response.json()
    return body


@pytest.fixture
async def session_headers(client: Client, household: dict[str, Any]) -> dict[str, str]:
    """A household session of the mother (created in the store, as a login would)."""
    person = client.app[PSEUDONYMISER].pseudonym(MOTHER)
    token = await client.app[HOUSEHOLD_SESSIONS].create(person, household["id"])
    return {"Authorization": f"Session {token}"}


@pytest.fixture(autouse=True)
def _clear_of_the_hour() -> None:
    """Bursts of refusals made here are counted per clock hour: never across its turn."""
    clear_of_the_hour()
