"""Seeding many audit entries fast, for the officer benches (not a benchmark itself).

Entries are generated in memory, hash-chained exactly as the writer chains them
(`gateway.audit.canonical.hash_fields`), and written with multi-row `INSERT`s of
10,000 rows per transaction straight into `audit_entries`, then the chain head is
moved to the last one and the planner statistics refreshed (`ANALYZE`). The chain
verifies; only the group commit and the head lock are skipped, which is what makes
1M entries take about a minute instead of an hour. Organisations, purposes and
categories are the demo configuration's, so the policy engine can replay them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.audit.canonical import hash_fields
from gateway.audit.model import AuditEvent, format_time
from gateway.audit.storage import json_list, json_object
from gateway.audit.tables import audit_chain_head, audit_entries

ORGS = {
    "wijkteam-utrecht": "wijkteam",
    "veilig-thuis-utrecht": "veilig_thuis",
    "gi-jeugdbescherming-demo": "gi",
    "rvdk-midden-nederland": "rvdk",
    "rvt-utrecht-proeftuin": "rvt",
}
ROLES = {"wijkteam": "hulpverlener", "veilig_thuis": "medewerker", "gi": "jeugdbeschermer",
         "rvdk": "raadsonderzoeker", "rvt": "medewerker"}  # fmt: skip
PURPOSES = [
    "support_planning", "joint_problem_analysis", "safety_assessment",
    "child_protection_investigation", "protection_measure_execution", "acute_safety",
]  # fmt: skip
CATEGORIES = ["contact_details", "household_composition", "support_plan", "finances", "school",
              "reports", "safety_assessment"]  # fmt: skip
SUBJECTS = 20_000


def event(rng: random.Random, n: int) -> AuditEvent:
    org = rng.choice(list(ORGS))
    purpose = rng.choice(PURPOSES)
    glass = purpose == "acute_safety" and rng.random() < 0.1  # as bench/audit.py: ~1.3%
    deny = rng.random() < 0.2
    subject = rng.randrange(SUBJECTS)
    return AuditEvent(
        event_type="exchange.decision",
        request_id=f"req_{n // 3:012d}",  # three decisions per exchange
        trace_id=f"{n:032x}",
        requester_org=org,
        professional=f"prof-{rng.randrange(300)}",
        role=ROLES[ORGS[org]],
        subject=f"ps_{subject:040x}",
        household=f"hh_{subject // 3:020x}",
        purpose=purpose,
        source=rng.choice([o for o in ORGS if o != org]),
        category=rng.choice(CATEGORIES),
        decision="deny" if deny else "permit",
        reason="no_matching_rule" if deny else "permitted",
        rule_ids=() if deny else ("wijkteam-support-planning",),
        legal_basis=None if deny else "public_task",
        consent_ids=() if deny or rng.random() < 0.5 else ("cs_bench",),
        policy_version="sha256:0123456789abcdef",
        break_glass=glass and not deny,
        outcome="denied" if deny else "returned",
        details={"exchange_id": f"ex_{n // 3:024x}"},
    )


def _row(ev: AuditEvent, seq: int, when: datetime, prev: str) -> dict[str, Any]:
    row = {f: getattr(ev, f) for f in (
        "event_type", "request_id", "trace_id", "requester_org", "professional", "role",
        "subject", "household", "purpose", "source", "category", "decision", "reason",
        "legal_basis", "policy_version", "break_glass", "outcome", "confidentiality",
        "target_seq")}  # fmt: skip
    row.update(seq=seq, time=when, rule_ids=json_list(ev.rule_ids),
               consent_ids=json_list(ev.consent_ids), details=json_object(ev.details),
               justification_ct=None, justification_kid=None, prev_hash=prev)  # fmt: skip
    fields = dict(row, time=format_time(when), rule_ids=list(ev.rule_ids),
                  consent_ids=list(ev.consent_ids), details=dict(ev.details))  # fmt: skip
    row["hash"] = hash_fields(fields)
    return row


async def seed(
    engine: AsyncEngine,
    count: int,
    *,
    start: datetime,
    span: timedelta,
    make: Callable[[random.Random, int], AuditEvent] = event,
) -> None:
    """`count` chained entries evenly over `[start, start + span)`."""
    async with engine.connect() as conn:
        head = (await conn.execute(text("SELECT seq, hash FROM audit_chain_head"))).one()
    seq, prev = int(head.seq), str(head.hash)
    rng = random.Random(7)
    step = span / max(count, 1)
    for chunk in range(0, count, 10_000):
        rows = []
        for n in range(chunk, min(count, chunk + 10_000)):
            seq += 1
            row = _row(make(rng, n), seq, start + step * n, prev)
            prev = row["hash"]
            rows.append(row)
        async with engine.begin() as conn:
            await conn.execute(insert(audit_entries), rows)
    async with engine.begin() as conn:
        await conn.execute(update(audit_chain_head).values(seq=seq, hash=prev))
        await conn.execute(text("ANALYZE audit_entries" if engine.dialect.name == "postgresql"
                                else "ANALYZE"))  # fmt: skip
