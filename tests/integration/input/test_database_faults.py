"""The database drops the gateway's connections: 503s while it lasts, never a 500.

Seen: the first few requests after PostgreSQL restarted answered 500, because the
driver's own `InterfaceError` / `ConnectionDoesNotExistError` on a kept connection
escaped the mapping. Restarting the shared server is not ours to do; terminating
the gateway's backends from a separate connection is the same fault for the
connections it kept.
"""

from __future__ import annotations

from typing import Any

import pytest
from consent_support import MOTHER, Client, consent_body
from sqlalchemy import text
from support import GatewayFixture

from gateway.storage.db import create_engine

WIJKTEAM = "wijkteam-utrecht"
OUTAGE = {(503, "service_unavailable"), (503, "audit_unavailable")}


async def _terminate_backends(database_url: str) -> int:
    engine = create_engine(database_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            result = await conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            return int(result.scalar_one())
    finally:
        await engine.dispose()


async def _one_of_each(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> list[tuple[str, int, str | None]]:
    """One request of each kind that touches the database: (what, status, problem code)."""
    calls = {
        "exchange": client.post(
            "/api/v1/exchanges",
            json={"subject": {"bsn": MOTHER}, "purpose": "support_planning",
                  "categories": ["support_plan"]},
            headers=gateway.auth(WIJKTEAM),
        ),
        "household": client.get(
            f"/api/v1/households/{household['id']}", headers=gateway.auth(WIJKTEAM)
        ),
        "consents": client.get(
            f"/api/v1/consents?subject={MOTHER}", headers=gateway.auth(WIJKTEAM)
        ),
        "record": client.post(
            "/api/v1/consents", json=consent_body(MOTHER), headers=gateway.auth(WIJKTEAM)
        ),
        "audit": client.get(
            "/api/v1/audit/entries", headers=gateway.auth(WIJKTEAM, "privacy_officer")
        ),
        "readyz": client.get("/readyz"),
    }  # fmt: skip
    answers = []
    for name, call in calls.items():
        response = await call
        code = None
        if response.content_type == "application/problem+json":
            code = (await response.json())["code"]
        answers.append((name, response.status, code))
    return answers


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)  # PostgreSQL only: it terminates the gateway's own backends
async def test_terminated_backends_give_503s_then_recovery_never_a_500(
    client: Client, gateway: GatewayFixture, household: dict[str, Any], database_url: str
) -> None:
    before = await _one_of_each(client, gateway, household)  # connections are now kept
    assert all(status < 500 for _, status, _ in before), before
    expected = [(name, status) for name, status, _ in before]
    for _ in range(2):
        assert await _terminate_backends(database_url) >= 1
        rounds = []
        for _ in range(10):  # bounded: the pools replace what they lost within a few requests
            answers = await _one_of_each(client, gateway, household)
            rounds.append(answers)
            for name, status, code in answers:
                assert status != 500, (name, rounds)
                if status >= 500:
                    assert (status, code) in OUTAGE, (name, rounds)
            if [(name, status) for name, status, _ in answers] == expected:
                break
        else:
            pytest.fail(f"no recovery after ten rounds: {rounds[-1]}")
