"""The recorded decisions a simulation reads: whether a registered case resolved is read
from `details.case_id` in the database, and only decisions of the period come back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from audit_support import decision
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.audit.query import Scope
from gateway.audit.replay import recorded_decisions
from gateway.audit.writer import AuditLog


async def test_a_decision_names_its_case_only_when_details_hold_a_case_id(
    audit_log: AuditLog, engine: AsyncEngine
) -> None:
    seqs = await audit_log.append(
        [
            decision(1, details={"case_id": "case_0001"}),
            decision(2),
            decision(3, details={"note": 'not "case_id" as a key'}),  # a value, not the key
            decision(4, details={"case": "case_0004"}),
        ]
    )
    now = datetime.now(UTC)
    rows = await recorded_decisions(
        engine, Scope(organisations=None), now - timedelta(hours=1), now + timedelta(hours=1),
        limit=10,
    )  # fmt: skip
    named = {row.seq: row.case_named for row in rows}
    assert named == {seqs[0]: True, seqs[1]: False, seqs[2]: False, seqs[3]: False}


async def test_the_period_is_half_open_to_the_microsecond(
    audit_log: AuditLog, engine: AsyncEngine
) -> None:
    seqs = [(await audit_log.append([decision(n)]))[0] for n in range(4)]
    now = datetime.now(UTC)
    wide = await recorded_decisions(
        engine, Scope(organisations=None), now - timedelta(hours=1), now + timedelta(hours=1),
        limit=10,
    )  # fmt: skip
    times = {row.seq: row.time for row in wide}
    assert [row.seq for row in wide] == seqs
    assert len(set(times.values())) == 4, times  # one append each: four moments
    since, until = times[seqs[1]], times[seqs[3]]
    rows = await recorded_decisions(engine, Scope(organisations=None), since, until, limit=10)
    assert [row.seq for row in rows] == seqs[1:3]
    just_after = await recorded_decisions(
        engine, Scope(organisations=None), since + timedelta(microseconds=1), until, limit=10
    )
    assert [row.seq for row in just_after] == seqs[2:3]
    assert all(row.time.tzinfo is UTC for row in rows)
