"""Every step of the demo's tour returns records on a whole deployment (both engines);
tests/integration/demo/test_tour.py runs the printed commands against `gateway demo`."""

from __future__ import annotations

import pytest
from deployment import Deployment

from gateway.appkeys import ORGANISATIONS
from gateway.demo.tour import TOUR, TourStep, consent_body, exchange_body


@pytest.mark.parametrize("step", TOUR, ids=[s.scenario for s in TOUR])
async def test_each_tour_step_returns_records(deployment: Deployment, step: TourStep) -> None:
    organisations = deployment.app[ORGANISATIONS]
    org = next(o.id for o in organisations if o.type == step.org_type)
    headers = deployment.gateway.auth(org, role=step.role)
    if step.consent_first:
        before = await deployment.exchange(
            org, exchange_body(step, deployment.population, organisations), role=step.role
        )
        assert {r["reason"] for r in (await before.json())["results"]} & {"consent_required"}
        recorded = await deployment.client.post(
            "/api/v1/consents",
            headers=headers,
            json=consent_body(step, deployment.population, organisations),
        )
        assert recorded.status == 201, await recorded.text()
    response = await deployment.exchange(
        org, exchange_body(step, deployment.population, organisations), role=step.role
    )
    assert response.status == 200, await response.text()
    results = (await response.json())["results"]
    assert any(r.get("records") for r in results), [
        (r["source"], r["category"], r["reason"]) for r in results
    ]
    for restricted in ("reporter_identity", "shelter_address"):
        assert all(r["decision"] == "deny" for r in results if r["category"] == restricted)
