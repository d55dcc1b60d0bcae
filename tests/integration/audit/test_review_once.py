"""A break-the-glass use is reviewed, and a confidential entry lifted, exactly once, even
when officers race (issue 11 §4); a refused duplicate never fails other callers' appends;
writes that commit with their entry and group-committed appends form one chain.
Over real HTTP, on both engines."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from audit_support import decision
from sqlalchemy import func, select
from strategies import bsn_from_digits
from support import GatewayFixture

from adapters.reference.custody_register import CustodyRegister
from gateway.appkeys import AUDIT
from gateway.audit.storage import verify_stored
from gateway.audit.tables import audit_entries, audit_once

Client = TestClient[web.Request, web.Application]
GI = "gi-jeugdbescherming-demo"
OFFICER = "privacy_officer"
RACERS = 10


@pytest.fixture
async def break_glass(client: Client) -> int:
    """One confidential break-the-glass decision of the GI; its seq."""
    seqs = await client.app[AUDIT].append(
        [
            decision(
                1,
                purpose="acute_safety",
                break_glass=True,
                justification="Kind alleen thuis, acuut",
                requester_org=GI,
                source=GI,
                confidentiality="confidential",
            )
        ]
    )
    return seqs[0]


async def count(client: Client, event_type: str, target_seq: int) -> int:
    async with client.app[AUDIT].engine.connect() as conn:
        found = await conn.execute(
            select(func.count())
            .select_from(audit_entries)
            .where(
                audit_entries.c.event_type == event_type, audit_entries.c.target_seq == target_seq
            )
        )
        return int(found.scalar_one())


async def codes(responses: list[Any]) -> Counter[tuple[int, str | None]]:
    seen: Counter[tuple[int, str | None]] = Counter()
    for response in responses:
        body = await response.json()
        seen[(response.status, body.get("code") if response.status >= 400 else None)] += 1
    return seen


async def assert_chain_verifies(client: Client) -> int:
    audit = client.app[AUDIT]
    report = await verify_stored(audit.engine, audit.keys.jwks())
    assert report.ok, report.to_json()
    return report.entries


async def test_concurrent_reviews_of_one_use_record_exactly_one(
    client: Client, gateway: GatewayFixture, break_glass: int
) -> None:
    path = f"/api/v1/audit/break-glass/{break_glass}/review"
    responses = await asyncio.gather(
        *(
            client.post(
                path,
                json={"verdict": "justified", "note": f"Terecht ({n})"},
                headers=gateway.auth(GI, OFFICER),
            )
            for n in range(RACERS)
        )
    )
    assert await codes(responses) == {(201, None): 1, (409, "conflict"): RACERS - 1}
    assert await count(client, "audit.break_glass_review", break_glass) == 1
    await assert_chain_verifies(client)


async def test_concurrent_lifts_of_one_entry_record_exactly_one(
    client: Client, gateway: GatewayFixture, break_glass: int
) -> None:
    path = f"/api/v1/audit/entries/{break_glass}/lift-confidentiality"
    responses = await asyncio.gather(
        *(
            client.post(path, json={"note": f"Afgerond ({n})"}, headers=gateway.auth(GI, OFFICER))
            for n in range(RACERS)
        )
    )
    assert await codes(responses) == {(201, None): 1, (409, "conflict"): RACERS - 1}
    assert await count(client, "audit.confidentiality_lifted", break_glass) == 1
    await assert_chain_verifies(client)


async def test_a_refused_duplicate_review_never_fails_other_callers_appends(
    client: Client, gateway: GatewayFixture, break_glass: int
) -> None:
    """Reviews race with group-committed exchange appends: every append commits."""
    audit = client.app[AUDIT]
    path = f"/api/v1/audit/break-glass/{break_glass}/review"
    reviews = [
        client.post(
            path,
            json={"verdict": "unjustified", "note": "Niet acuut"},
            headers=gateway.auth(GI, OFFICER),
        )
        for _ in range(RACERS)
    ]
    appends = [audit.append([decision(100 + n)]) for n in range(40)]
    results = await asyncio.gather(*reviews, *appends)
    assert await codes(list(results[:RACERS])) == {(201, None): 1, (409, "conflict"): RACERS - 1}
    assert all(len(seqs) == 1 for seqs in results[RACERS:])
    # The break-the-glass entry, the 40 appends, one review; and one claim.
    assert await assert_chain_verifies(client) == 1 + 40 + 1
    async with audit.engine.connect() as conn:
        claims = (await conn.execute(select(audit_once))).all()
    assert [(c.event_type, c.target_seq) for c in claims] == [
        ("audit.break_glass_review", break_glass)
    ]


async def test_writes_with_their_entry_and_group_commits_form_one_chain(
    client: Client, gateway: GatewayFixture, custody_register: CustodyRegister
) -> None:
    """Household registrations (each with its entry in its own transaction) interleaved
    with group-committed appends: one linear chain, every registration audited."""
    audit = client.app[AUDIT]
    bsns = [b for b in (bsn_from_digits(f"{n:04d}") for n in range(5000, 5040)) if b][:12]
    for bsn in bsns:  # people the custody register knows (it confirms every member)
        custody_register.add_person(bsn, date(1980, 1, 1))
    registrations = [
        client.post(
            "/api/v1/households",
            json={
                "members": [{"bsn": bsn, "birth_date": "1980-01-01", "role": "adult"}],
                "contact_person": {"professional": "prof-1"},
            },
            headers=gateway.auth("wijkteam-utrecht"),
        )
        for bsn in bsns
    ]
    appends = [audit.append([decision(n)]) for n in range(40)]
    results = await asyncio.gather(*registrations, *appends)
    assert [r.status for r in results[: len(bsns)]] == [201] * len(bsns)
    assert await assert_chain_verifies(client) == len(bsns) + 40
    async with audit.engine.connect() as conn:
        registered = await conn.execute(
            select(func.count())
            .select_from(audit_entries)
            .where(audit_entries.c.event_type == "household.registered")
        )
        assert registered.scalar_one() == len(bsns)
