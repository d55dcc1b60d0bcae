"""`/metrics`: Prometheus text from this process's registry, every label value from a
closed set (never a raw path or a personal value), and scrapes that never hold up
requests."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from operate_support import BSN, exchange_body
from prometheus_client.parser import text_string_to_metric_families
from support import GatewayFixture

from gateway.app import create_app
from gateway.appkeys import LIVE_CONFIG, METRICS, ORGANISATIONS, VOCABULARY
from gateway.http.metrics import metrics_app
from gateway.metrics import JWKS_OUTCOMES, METHODS, OTHER, RELOAD_RESULTS, SOURCE_OUTCOMES
from policies import REASONS

Client = TestClient[web.Request, web.Application]
ORG = "wijkteam-utrecht"


def closed_sets(app: web.Application) -> dict[str, set[str]]:
    """Every label name the gateway uses, and every value it may take."""
    routes = {
        route.resource.canonical for route in app.router.routes() if route.resource is not None
    }
    orgs = set(app[ORGANISATIONS].ids())
    return {
        "route": routes | {"unmatched"},
        "method": set(METHODS) | {OTHER},
        "status": {str(code) for code in range(100, 600)},
        "purpose": set(app[VOCABULARY].purposes) | {OTHER},
        "decision": {"permit", "deny", OTHER},
        "reason": set(REASONS) | {"none", OTHER},
        "name": {"audit_append", "replay_check"},
        "source": orgs,
        "organisation": orgs,
        "outcome": set(SOURCE_OUTCOMES) | set(JWKS_OUTCOMES) | {OTHER},
        "result": set(RELOAD_RESULTS),
        "state": {"size", "checked_out", "overflow", "idle"},
        "le": set(),  # histogram buckets: numbers, checked below
    }


def labels_outside_their_sets(app: web.Application, text: str) -> list[str]:
    allowed = closed_sets(app)
    wrong = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            for name, value in sample.labels.items():
                if name == "le":
                    if value != "+Inf":
                        float(value)
                    continue
                if name not in allowed or value not in allowed[name]:
                    wrong.append(f"{sample.name}{{{name}={value!r}}}")
    return wrong


async def scrape(metrics: TestServer) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(metrics.make_url("/metrics")) as response,
    ):
        return response.status, await response.text()


async def test_metrics_cover_requests_decisions_audit_sources_pool_and_reloads(
    ops_gateway: GatewayFixture, aiohttp_client: Any, aiohttp_server: Any
) -> None:
    client: Client = await aiohttp_client(create_app(ops_gateway.settings))
    metrics: TestServer = await aiohttp_server(metrics_app(client.app[METRICS]))
    answer = await client.post(
        "/api/v1/exchanges", json=exchange_body(), headers=ops_gateway.auth(ORG)
    )
    assert answer.status == 200
    # Ids in paths, and a path no route knows: neither may become a label value.
    await client.get(f"/api/v1/households/{BSN}", headers=ops_gateway.auth(ORG))
    await client.get(f"/no/such/{BSN}")
    await client.post("/api/v1/exchanges", json={"purpose": BSN})
    await client.app[LIVE_CONFIG].reload()

    status, text = await scrape(metrics)
    assert status == 200
    assert BSN not in text
    assert labels_outside_their_sets(client.app, text) == []
    for series in (
        'gateway_http_requests_total{method="POST",route="/api/v1/exchanges",status="200"}',
        'gateway_http_requests_total{method="GET",route="unmatched",status="404"}',
        'gateway_exchange_decisions_total{decision="deny",purpose="support_planning"',
        'gateway_group_commit_batch_size_count{name="audit_append"}',
        'gateway_group_commit_seconds_count{name="replay_check"}',
        'gateway_config_reloads_total{result="success"} 1.0',
        "gateway_config_generation 1.0",
        'gateway_db_pool_connections{state="checked_out"}',
    ):
        assert series in text, series
    assert 'route="/api/v1/households/{household_id}"' in text


async def test_source_latency_and_errors_are_counted_per_source(
    ops_gateway: GatewayFixture, aiohttp_client: Any
) -> None:
    client: Client = await aiohttp_client(create_app(ops_gateway.settings))
    registry = client.app[METRICS].registry
    # A registered subject with consent is not needed: an aggregate-free purpose whose
    # rule needs no consent makes the gateway ask the (absent) source.
    for purpose in ("acute_safety", "safety_assessment", "support_planning"):
        body = {**exchange_body(), "purpose": purpose}
        if purpose == "acute_safety":
            body["break_glass"] = {
                "justification": "Acuut gevaar: melding van de politie "
                "over geweld in het gezin vannacht"
            }
            body["categories"] = ["contact_details"]
        response = await client.post(
            "/api/v1/exchanges", json=body, headers=ops_gateway.auth("gi-jeugdbescherming-demo")
        )
        assert response.status == 200
    outcomes = {
        outcome: registry.get_sample_value(
            "gateway_source_fetches_total", {"source": ORG, "outcome": outcome}
        )
        for outcome in ("ok", "unavailable", "timeout", "error")
    }
    # Break-the-glass needs no consent: the gateway asks the source, which is not running.
    assert outcomes["unavailable"] == 1, outcomes
    assert outcomes["ok"] == 0
    assert registry.get_sample_value("gateway_source_fetch_seconds_count", {"source": ORG}) == 1


async def test_a_scrape_during_load_never_blocks_or_fails_a_request(
    ops_gateway: GatewayFixture, aiohttp_client: Any, aiohttp_server: Any
) -> None:
    client: Client = await aiohttp_client(create_app(ops_gateway.settings))
    metrics: TestServer = await aiohttp_server(metrics_app(client.app[METRICS]))
    stop = asyncio.Event()
    enough = asyncio.Event()
    statuses: list[int] = []
    scrapes: list[int] = []

    async def exchanges() -> None:
        while not stop.is_set():
            response = await client.post(
                "/api/v1/exchanges", json=exchange_body(), headers=ops_gateway.auth(ORG)
            )
            statuses.append(response.status)
            await response.read()
            if len(statuses) >= 60:
                enough.set()

    async def scraping() -> None:
        async with aiohttp.ClientSession() as session:
            while not stop.is_set():
                async with session.get(metrics.make_url("/metrics")) as response:
                    await response.read()
                    scrapes.append(response.status)

    tasks = [asyncio.create_task(exchanges()) for _ in range(4)]
    tasks += [asyncio.create_task(scraping()) for _ in range(2)]
    await asyncio.wait_for(enough.wait(), timeout=120)
    stop.set()
    await asyncio.gather(*tasks)
    assert set(statuses) == {200}
    assert scrapes and set(scrapes) == {200}


async def test_metrics_with_a_token_refuse_a_scrape_without_it(
    ops_gateway: GatewayFixture, aiohttp_client: Any
) -> None:
    app = create_app(ops_gateway.settings)
    scraper: Client = await aiohttp_client(
        metrics_app(app[METRICS], token="s3cret-token-of-enough-length")
    )
    assert (await scraper.get("/metrics")).status == 401
    wrong = await scraper.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401
    right = await scraper.get(
        "/metrics", headers={"Authorization": "Bearer s3cret-token-of-enough-length"}
    )
    assert right.status == 200
    assert "gateway_config_generation" in await right.text()
