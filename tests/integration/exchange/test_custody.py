"""Custody from the custody register, end to end: an organisation cannot invent a parent
with custody, and the exchange decides on custody the register stands behind.

The deployment's households were seeded through the reference custody register; these
tests change the register (a court ends custody) or stop it, and age a confirmation in
the database to stand in for the freshness window passing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestServer
from consent_support import assert_problem, consent_body, count_rows
from deployment import Deployment
from sqlalchemy import select, update

from adapters.reference.custody_register import CustodyRegister
from consent.tables import custody, household_events
from gateway.appkeys import ENGINE, PSEUDONYMISER, SETTINGS

WIJKTEAM, GI = "wijkteam-utrecht", "gi-jeugdbescherming-demo"
FRESHNESS = 900  # the default `custody_freshness_seconds`


def _exchange_body(bsn: str) -> dict[str, Any]:
    return {
        "subject": {"bsn": bsn},
        "purpose": "support_planning",
        "categories": ["health"],
        "sources": [WIJKTEAM],
    }


async def _health(deployment: Deployment, bsn: str) -> dict[str, Any]:
    response = await deployment.exchange(WIJKTEAM, _exchange_body(bsn))
    assert response.status == 200, await response.text()
    body = await response.json()
    (item,) = [r for r in body["results"] if r["category"] == "health"]
    return dict(item)


def _parents_with_custody(deployment: Deployment, child_bsn: str) -> list[str]:
    return [
        link.parent_bsn
        for household in deployment.population.households
        for link in household.custody
        if link.child_bsn == child_bsn and link.has_custody
    ]


async def _age_confirmations(deployment: Deployment, child_bsn: str, seconds: float) -> None:
    """As if the register last confirmed the child's custody `seconds` ago."""
    child = deployment.app[PSEUDONYMISER].pseudonym(child_bsn)
    when = datetime.now(UTC) - timedelta(seconds=seconds)
    async with deployment.app[ENGINE].begin() as conn:
        await conn.execute(
            update(custody).where(custody.c.child == child).values(confirmed_at=when)
        )


async def _open_holders(deployment: Deployment, child_bsn: str) -> set[str]:
    child = deployment.app[PSEUDONYMISER].pseudonym(child_bsn)
    async with deployment.app[ENGINE].connect() as conn:
        rows = await conn.execute(
            select(custody.c.parent).where(custody.c.child == child, custody.c.until_at.is_(None))
        )
        return {r.parent for r in rows}


async def test_another_organisation_cannot_register_a_child_with_an_invented_parent(
    deployment: Deployment,
) -> None:
    child = deployment.population.scenario("child_under_12")
    invented = deployment.population.scenario("adult")  # a real person, no custody of the child
    before = await count_rows(deployment.gateway.settings.database_url)
    response = await deployment.client.post(
        "/api/v1/households",
        json={
            "members": [
                {
                    "bsn": invented.bsn,
                    "birth_date": invented.birth_date.isoformat(),
                    "role": "parent",
                },
                {"bsn": child.bsn, "birth_date": child.birth_date.isoformat(), "role": "child"},
            ],
            "custody": [{"parent": invented.bsn, "child": child.bsn}],
            "contact_person": {"professional": "gi-1"},
        },
        headers=deployment.gateway.auth(GI),
    )
    problem = await assert_problem(response, 422, "custody_not_confirmed")
    assert child.bsn not in str(problem) and invented.bsn not in str(problem)
    assert await count_rows(deployment.gateway.settings.database_url) == before
    # The invented parent's paper consent, recorded by the child's real regiehouder: refused.
    paper = await deployment.client.post(
        "/api/v1/consents",
        json=consent_body(child.bsn, given_by={"bsn": invented.bsn}),
        headers=deployment.gateway.auth(WIJKTEAM),
    )
    await assert_problem(paper, 403, "no_custody")
    assert await count_rows(deployment.gateway.settings.database_url) == before
    # The real parents' consent still decides the real regiehouder's next exchange.
    item = await _health(deployment, child.bsn)
    assert item["decision"] == "permit" and item["consent_ids"], item


async def test_a_relation_the_register_ends_no_longer_counts_after_the_freshness(
    deployment: Deployment, custody_register: CustodyRegister
) -> None:
    child = deployment.population.scenario("child_under_12")
    parents = _parents_with_custody(deployment, child.bsn)
    assert len(parents) == 2 and deployment.app[SETTINGS].custody_freshness_seconds == FRESHNESS
    for parent in parents:  # a court gives custody to a guardian outside the household
        custody_register.end_custody(parent, child.bsn)
    # Within the freshness the confirmed relations stand (no call to the register).
    assert (await _health(deployment, child.bsn))["decision"] == "permit"
    await _age_confirmations(deployment, child.bsn, FRESHNESS + 60)
    item = await _health(deployment, child.bsn)
    assert (item["decision"], item["reason"]) == ("deny", "consent_required")
    assert item["missing_consent_from"] == ["custody_holder"]
    assert await _open_holders(deployment, child.bsn) == set()
    async with deployment.app[ENGINE].connect() as conn:
        ended = (
            await conn.execute(
                select(household_events.c.actor, household_events.c.detail).where(
                    household_events.c.event == "custody_ended"
                )
            )
        ).all()
    assert len(ended) == 2
    assert all(row.actor == {"kind": "system"} for row in ended)
    assert {row.detail["reason"] for row in ended} == {"not_in_custody_register"}


async def test_a_relation_the_register_still_confirms_is_refreshed_not_ended(
    deployment: Deployment,
) -> None:
    child = deployment.population.scenario("child_under_12")
    before = await _open_holders(deployment, child.bsn)
    await _age_confirmations(deployment, child.bsn, FRESHNESS + 60)
    assert (await _health(deployment, child.bsn))["decision"] == "permit"
    assert await _open_holders(deployment, child.bsn) == before
    pseudonym = deployment.app[PSEUDONYMISER].pseudonym(child.bsn)
    async with deployment.app[ENGINE].connect() as conn:
        confirmed = (
            await conn.execute(select(custody.c.confirmed_at).where(custody.c.child == pseudonym))
        ).all()
    recent = datetime.now(UTC) - timedelta(seconds=FRESHNESS)
    for (at,) in confirmed:
        assert (at if at.tzinfo else at.replace(tzinfo=UTC)) > recent


async def test_stale_custody_with_the_register_down_does_not_satisfy_consent(
    deployment: Deployment, custody_server: TestServer
) -> None:
    child = deployment.population.scenario("child_under_12")
    await custody_server.close()  # the register is down from here on
    # Fresh: decided on the confirmed relations, without the register.
    assert (await _health(deployment, child.bsn))["decision"] == "permit"
    before = await _open_holders(deployment, child.bsn)
    await _age_confirmations(deployment, child.bsn, FRESHNESS + 60)
    item = await _health(deployment, child.bsn)
    assert (item["decision"], item["reason"]) == ("deny", "consent_required")
    assert item["missing_consent_from"] == ["custody_holder"]
    # Nothing ended on a guess: the relations wait for the register.
    assert await _open_holders(deployment, child.bsn) == before
