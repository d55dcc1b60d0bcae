"""Fixtures of the portal's page tests: the standard household and a logged-in browser."""

from __future__ import annotations

from typing import Any

import pytest
from consent_support import Client, household_body
from support import GatewayFixture


@pytest.fixture
async def household(client: Client, gateway: GatewayFixture) -> dict[str, Any]:
    """The standard household, registered by the wijkteam (its regiehouder)."""
    response = await client.post(
        "/api/v1/households", json=household_body(), headers=gateway.auth("wijkteam-utrecht")
    )
    assert response.status == 201, await response.text()
    body: dict[str, Any] = await response.json()
    return body
