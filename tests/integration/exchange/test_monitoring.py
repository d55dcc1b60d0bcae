"""Monitoring is never about one person: an aggregates-only purpose on an exchange (which
always names one subject) is refused before anything is read, fetched or released.

Seen before: `purpose=monitoring` with one BSN answered `{"count": 1}` or `{"count": 0}`,
i.e. whether a named child has a Veilig Thuis report, without consent.
"""

from __future__ import annotations

from typing import Any

from deployment import Deployment
from sqlalchemy import func, select

from gateway.appkeys import ENGINE
from gateway.audit.tables import audit_entries

WIJKTEAM = "wijkteam-utrecht"
VEILIG_THUIS = "veilig-thuis-utrecht"


async def audit_count(deployment: Deployment) -> int:
    async with deployment.app[ENGINE].connect() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(audit_entries))).scalar_one()
        )


async def test_monitoring_about_one_named_child_is_refused_with_its_own_code(
    deployment: Deployment,
) -> None:
    subject = deployment.population.scenario("vt_report_subject")
    response = await deployment.exchange(
        WIJKTEAM,
        {
            "subject": {"bsn": subject.bsn},
            "purpose": "monitoring",
            "categories": ["reports", "protection_measures"],
            "sources": [VEILIG_THUIS],
        },
    )
    assert response.status == 422, await response.text()
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json()
    assert body["code"] == "aggregates_only_purpose"
    assert "/api/v1/statistics" in body["detail"]
    assert "count" not in body and "results" not in body and subject.bsn not in str(body)
    # Refused before the subject was read or a source asked: no decision, nothing released.
    assert await audit_count(deployment) == 0


async def test_monitoring_is_refused_whatever_the_subject(deployment: Deployment) -> None:
    """A person nobody registered gets the same answer, so the refusal says nothing either."""
    response = await deployment.exchange(
        "gi-jeugdbescherming-demo",
        {"subject": {"bsn": "999990019"}, "purpose": "monitoring", "categories": ["support_plan"]},
    )
    assert response.status == 422
    assert (await response.json())["code"] == "aggregates_only_purpose"
