"""A chain written before the fields were declared once still verifies, and is still found.

`tests/fixtures/audit/pre_fields_chain.jsonl` was exported (`export_log`) by the code
before issue 12: its writer, its hand-written field lists, its event names (a household
change as `household.registered`, an organisation's household read and consent listing
as `exchange.decision` with `details.access`), ten entries and three signed checkpoints.
`pre_fields_chain.jwks.json` holds the public key that signed them (no secret is kept).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncEngine
from support import GatewayFixture

from gateway.audit.canonical import canonical_entry, entry_hash
from gateway.audit.export import load_jwks, verify_export
from gateway.audit.model import AuditEntry, Checkpoint
from gateway.audit.storage import entry_row, stream_entries, verify_stored
from gateway.audit.tables import audit_chain_head, audit_checkpoints, audit_entries

FIXTURES = Path(__file__).parents[2] / "fixtures" / "audit"
EXPORT = FIXTURES / "pre_fields_chain.jsonl"
JWKS = FIXTURES / "pre_fields_chain.jwks.json"
OFFICER = "privacy_officer"

Client = TestClient[Any, Any]


def _lines(kind: str) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in EXPORT.read_text(encoding="utf-8").splitlines()]
    return [{k: v for k, v in r.items() if k != "type"} for r in records if r["type"] == kind]


def test_an_export_of_the_old_code_verifies_offline_with_the_declared_fields() -> None:
    report = verify_export(EXPORT, load_jwks(JWKS))
    assert report.ok, report.to_json()
    assert (report.entries, report.checkpoints, report.last_seq) == (10, 3, 10)


def test_each_old_entry_reads_back_to_the_same_canonical_bytes_and_hash() -> None:
    for line in _lines("entry"):
        entry = AuditEntry.from_json(line)
        assert entry.to_json() == line
        old_form = {k: v for k, v in line.items() if k != "hash"}
        assert canonical_entry(entry.hashed_fields()) == canonical_entry(old_form)
        assert entry_hash(entry) == line["hash"]


async def _load(engine: AsyncEngine) -> None:
    """Put the old chain into a fresh database as the old writer had left it."""
    entries = [AuditEntry.from_json(line) for line in _lines("entry")]
    checkpoints = [Checkpoint.from_json(line) for line in _lines("checkpoint")]
    async with engine.begin() as conn:
        await conn.execute(insert(audit_entries), [entry_row(e) for e in entries])
        await conn.execute(
            insert(audit_checkpoints),
            [{**c.to_json(), "time": c.time} for c in checkpoints],
        )
        await conn.execute(
            update(audit_chain_head)
            .where(audit_chain_head.c.id == 1)
            .values(
                seq=entries[-1].seq,
                hash=entries[-1].hash,
                checkpoint_seq=checkpoints[-1].seq,
                checkpoint_time=checkpoints[-1].time,
            )
        )


async def test_the_old_chain_stored_in_the_database_verifies_and_reads_back_unchanged(
    engine: AsyncEngine,
) -> None:
    await _load(engine)
    report = await verify_stored(engine, load_jwks(JWKS))
    assert report.ok, report.to_json()
    assert report.entries == 10
    async with engine.connect() as conn:
        stored = [entry.to_json() async for entry in stream_entries(conn)]
    assert stored == _lines("entry")


async def _seqs(client: Client, gateway: GatewayFixture, event_type: str) -> list[int]:
    response = await client.get(
        f"/api/v1/audit/entries?event_type={event_type}&to=2026-12-01",
        headers=gateway.auth("wijkteam-utrecht", OFFICER),
    )
    assert response.status == 200, await response.text()
    return [e["seq"] for e in (await response.json())["entries"]]


async def test_the_officers_filter_finds_old_entries_under_the_names_of_what_happened(
    engine: AsyncEngine, client: Client, gateway: GatewayFixture
) -> None:
    await _load(engine)
    # Entry 5 was a member joining, stored as `household.registered`: now a change.
    assert await _seqs(client, gateway, "household.changed") == [5]
    assert await _seqs(client, gateway, "household.registered") == [4]
    assert await _seqs(client, gateway, "household.read_by_organisation") == [6]
    assert await _seqs(client, gateway, "consent.listed") == [7]
    assert await _seqs(client, gateway, "exchange.decision") == [3, 2, 1]
    # Found under the new names, the stored entries are untouched and still hash right.
    response = await client.get(
        "/api/v1/audit/entries?event_type=consent.listed&to=2026-12-01",
        headers=gateway.auth("wijkteam-utrecht", OFFICER),
    )
    (entry,) = (await response.json())["entries"]
    assert entry["event_type"] == "exchange.decision"
    assert entry["details"] == {"access": "consents_read"}
