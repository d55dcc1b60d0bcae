"""The recorded decisions of a period, as a policy simulation replays them.

One query, only the columns a replay reads, oldest first, within the officer's scope
(requested by, or the source of, one of its organisations). Exchange decisions and a
household member's own portal reads are decisions; every other event type is not.
`count_decisions` lets the caller refuse a period that holds too many before reading.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.audit.query import Scope
from gateway.audit.storage import utc
from gateway.audit.tables import audit_entries

__all__ = ["DECISION_EVENTS", "ReplayRow", "count_decisions", "recorded_decisions"]

DECISION_EVENTS = ("exchange.decision", "household.read")
_E = audit_entries.c
_COLUMNS = (
    _E.seq,
    _E.time,
    _E.event_type,
    _E.requester_org,
    _E.professional,
    _E.role,
    _E.subject,
    _E.purpose,
    _E.source,
    _E.category,
    _E.decision,
    _E.reason,
    _E.rule_ids,
    _E.consent_ids,
    _E.break_glass,
    _E.details,
)


@dataclass(frozen=True, slots=True)
class ReplayRow:
    """What a replay needs of one recorded decision (pseudonyms and codes only)."""

    seq: int
    time: datetime
    event_type: str
    requester_org: str | None
    professional: str | None
    role: str | None
    subject: str | None
    purpose: str | None
    source: str | None
    category: str | None
    decision: str | None
    reason: str | None
    rule_ids: tuple[str, ...]
    consent_ids: tuple[str, ...]
    break_glass: bool
    case_named: bool  # a registered case resolved for the request (`details.case_id`)


def _where(scope: Scope, since: datetime, until: datetime) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [
        _E.time >= since,
        _E.time < until,
        _E.event_type.in_(DECISION_EVENTS),
        _E.decision.is_not(None),
    ]
    if scope.organisations is not None:
        orgs = sorted(scope.organisations)
        conds.append(or_(_E.requester_org.in_(orgs), _E.source.in_(orgs)) if orgs else false())
    return conds


async def count_decisions(
    engine: AsyncEngine, scope: Scope, since: datetime, until: datetime
) -> int:
    async with engine.connect() as conn:
        query = (
            select(func.count())
            .select_from(audit_entries)
            .where(and_(*_where(scope, since, until)))
        )
        return int((await conn.execute(query)).scalar_one())


async def recorded_decisions(
    engine: AsyncEngine, scope: Scope, since: datetime, until: datetime, *, limit: int
) -> list[ReplayRow]:
    """At most `limit` recorded decisions of [since, until) in `scope`, oldest first."""
    query = (
        select(*_COLUMNS).where(and_(*_where(scope, since, until))).order_by(_E.seq).limit(limit)
    )
    rows: list[ReplayRow] = []
    loads = json.loads
    async with engine.connect() as conn:
        result = await conn.stream(query)
        async for r in result:
            rows.append(
                ReplayRow(
                    seq=int(r.seq),
                    time=utc(r.time),
                    event_type=r.event_type,
                    requester_org=r.requester_org,
                    professional=r.professional,
                    role=r.role,
                    subject=r.subject,
                    purpose=r.purpose,
                    source=r.source,
                    category=r.category,
                    decision=r.decision,
                    reason=r.reason,
                    rule_ids=tuple(loads(r.rule_ids)),
                    consent_ids=tuple(loads(r.consent_ids)),
                    break_glass=bool(r.break_glass),
                    case_named='"case_id"' in (r.details or ""),
                )
            )
    return rows
