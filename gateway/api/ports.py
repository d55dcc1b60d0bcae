"""The access rules' ports, read from the app for one request (no state of its own)."""

from __future__ import annotations

from aiohttp import web

from gateway.access.households import HouseholdPorts
from gateway.appkeys import (
    CASES,
    CONSENTS,
    CUSTODY,
    HOUSEHOLDS,
    ORGANISATIONS,
    POLICIES,
    PSEUDONYMISER,
    VOCABULARY,
)

__all__ = ["household_ports"]


def household_ports(request: web.Request) -> HouseholdPorts:
    """What `gateway.access.households` reads, from the stores on the app."""
    app = request.app
    return HouseholdPorts(
        vocabulary=app[VOCABULARY],
        organisations=app[ORGANISATIONS],
        policies=app[POLICIES],
        households=app[HOUSEHOLDS],
        consents=app[CONSENTS],
        cases=app[CASES],
        custody=app[CUSTODY],
        pseudonym=app[PSEUDONYMISER].pseudonym,
    )
