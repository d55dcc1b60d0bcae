"""Exchange invariants over real HTTP that a wrong gateway would break.

- The audit entries are in the database when the response STARTS (an order check:
  the moment the answer begins is observed, not a count taken afterwards).
- A withdrawal made through another gateway instance counts on the very next request.
- A break-the-glass justification is stored encrypted and the privacy officer's API opens it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import pytest
from aiohttp import web
from deployment import Deployment
from sqlalchemy import func, select

from gateway.app import create_app
from gateway.appkeys import ENGINE, EXCHANGE_DEPS, REQUEST_ID
from gateway.audit.tables import audit_entries
from gateway.exchange.model import AccessRecord
from gateway.exchange.pipeline import ExchangeMeta

WIJKTEAM = "wijkteam-utrecht"
VEILIG_THUIS = "veilig-thuis-utrecht"
JUSTIFICATION = (
    "Kind mogelijk in acuut gevaar; politie ter plaatse, adres nodig voor crisisinterventie."
)


def by_item(body: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["source"], r["category"]): r for r in body["results"]}


async def entries_of(deployment: Deployment, request_id: str) -> list[dict[str, Any]]:
    async with deployment.app[ENGINE].connect() as conn:
        rows = await conn.execute(
            select(audit_entries)
            .where(audit_entries.c.request_id == request_id)
            .order_by(audit_entries.c.seq)
        )
        return [dict(row) for row in rows.mappings()]


async def test_audit_entries_are_durable_before_the_response_starts(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the moment the exchange's response is prepared, its entries are already in the
    database and the append has returned; an append finishing later fails this."""
    timeline: list[tuple[str, Any]] = []
    access_log = deployment.app[EXCHANGE_DEPS].access_log
    real_record = access_log.record

    async def slow_record(meta: ExchangeMeta, records: Sequence[AccessRecord]) -> Sequence[int]:
        timeline.append(("audit_start", meta.request_id))
        await asyncio.sleep(0.05)  # a slow disk: an answer that does not wait overtakes it
        seqs = await real_record(meta, records)
        timeline.append(("audit_durable", meta.request_id))
        return seqs

    real_prepare = web.StreamResponse.prepare

    async def observed_prepare(self: web.StreamResponse, request: Any) -> Any:
        if request.path == "/api/v1/exchanges" and not self.prepared:
            stored = await entries_of(deployment, request[REQUEST_ID])
            timeline.append(("response_start", len(stored)))
        return await real_prepare(self, request)

    monkeypatch.setattr(access_log, "record", slow_record)
    monkeypatch.setattr(web.StreamResponse, "prepare", observed_prepare)
    child = deployment.population.scenario("child_under_12")
    response = await deployment.exchange(
        WIJKTEAM,
        {
            "subject": {"bsn": child.bsn},
            "purpose": "support_planning",
            "categories": ["contact_details", "reports", "health"],
        },
    )
    assert response.status == 200
    body = await response.json()
    kinds = [kind for kind, _ in timeline]
    assert kinds == ["audit_start", "audit_durable", "response_start"], timeline
    assert timeline[2][1] == len(body["results"]), "every item's entry was stored first"
    request_id = response.headers["X-Request-Id"]
    stored = await entries_of(deployment, request_id)
    assert {(e["source"], e["category"]) for e in stored} == set(by_item(body))


async def test_a_withdrawal_through_another_instance_counts_on_the_next_request(
    deployment: Deployment, aiohttp_client: Any
) -> None:
    """Two gateway instances on one database: consents withdrawn through B are not
    honoured by A from a cache; A's very next exchange is refused."""
    child = deployment.population.scenario("child_under_12")
    ask = {
        "subject": {"bsn": child.bsn},
        "purpose": "support_planning",
        "categories": ["contact_details"],
        "sources": [WIJKTEAM],
    }
    first = by_item(await (await deployment.exchange(WIJKTEAM, ask)).json())
    assert first[(WIJKTEAM, "contact_details")]["records"], "permitted before the withdrawal"

    other = await aiohttp_client(create_app(deployment.gateway.settings))
    listed = await other.get(
        "/api/v1/consents",
        params={"subject": child.bsn, "purpose": "support_planning"},
        headers=deployment.gateway.auth(WIJKTEAM),
    )
    assert listed.status == 200
    covering = [
        c["id"]
        for c in (await listed.json())["consents"]
        if c["status"] == "active"
        and c["decision"] == "grant"
        and "contact_details" in c["categories"]
        and "support_planning" in c["purposes"]
    ]
    assert covering, "the scenario's consent is listed"
    for consent_id in covering:
        withdrawn = await other.post(
            f"/api/v1/consents/{consent_id}/withdraw",
            json={"evidence_reference": "brief-ouders-2026-11"},
            headers=deployment.gateway.auth(WIJKTEAM),
        )
        assert withdrawn.status == 200, await withdrawn.text()

    second = by_item(await (await deployment.exchange(WIJKTEAM, ask)).json())
    item = second[(WIJKTEAM, "contact_details")]
    assert item["decision"] == "deny" and item["reason"] == "consent_required"
    assert "records" not in item


async def test_the_break_the_glass_justification_is_stored_encrypted_and_opened_for_the_officer(
    deployment: Deployment,
) -> None:
    child = deployment.population.scenario("child_under_ots")
    response = await deployment.exchange(
        VEILIG_THUIS,
        {
            "subject": {"bsn": child.bsn},
            "purpose": "acute_safety",
            "categories": ["contact_details"],
            "break_glass": {"justification": JUSTIFICATION},
        },
    )
    assert response.status == 200
    stored = await entries_of(deployment, response.headers["X-Request-Id"])
    flagged = [e for e in stored if e["break_glass"]]
    assert flagged, "the use is flagged"
    for entry in flagged:
        assert entry["justification_ct"] and entry["justification_kid"]
        assert JUSTIFICATION not in json.dumps(entry, default=str)
        assert "acuut gevaar" not in entry["justification_ct"]

    officer = deployment.gateway.auth(VEILIG_THUIS, "privacy_officer")
    queue = await deployment.client.get("/api/v1/audit/break-glass", headers=officer)
    assert queue.status == 200
    opened = {e["seq"]: e["justification"] for e in (await queue.json())["entries"]}
    for entry in flagged:
        assert opened[entry["seq"]] == JUSTIFICATION


async def test_an_exchange_without_break_the_glass_stores_no_justification(
    deployment: Deployment,
) -> None:
    child = deployment.population.scenario("child_under_12")
    response = await deployment.exchange(
        WIJKTEAM,
        {
            "subject": {"bsn": child.bsn},
            "purpose": "support_planning",
            "categories": ["contact_details"],
            "sources": [WIJKTEAM],
        },
    )
    assert response.status == 200
    async with deployment.app[ENGINE].connect() as conn:
        with_text = (
            await conn.execute(
                select(func.count())
                .select_from(audit_entries)
                .where(audit_entries.c.request_id == response.headers["X-Request-Id"])
                .where(audit_entries.c.justification_ct.is_not(None))
            )
        ).scalar_one()
    assert with_text == 0
