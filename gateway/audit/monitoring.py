"""The log entries the monitoring statistics count, for the organisations asked about.

Only what a base cell needs: the event, who asked, when, and the record that is
counted (a household pseudonym, a request id, an entry's seq). The counting and its
protection happen in `gateway.insight.statistics`; nothing here is published as is.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.audit.storage import utc
from gateway.audit.tables import audit_entries

__all__ = ["COUNTED_EVENTS", "CountedEntry", "counted_entries"]

COUNTED_EVENTS = (
    "exchange.decision",
    "consent.granted",
    "consent.recorded_on_paper",
    "consent.withdrawn",
    "case.opened",
)
_E = audit_entries.c


@dataclass(frozen=True, slots=True)
class CountedEntry:
    seq: int
    time: datetime
    event_type: str
    organisation: str
    household: str | None
    request_id: str
    purpose: str | None
    decision: str | None
    break_glass: bool


async def counted_entries(
    engine: AsyncEngine, organisations: Collection[str], since: datetime, until: datetime
) -> list[CountedEntry]:
    """The counted entries of `[since, until)` made by `organisations`."""
    if not organisations:
        return []
    query = select(
        _E.seq,
        _E.time,
        _E.event_type,
        _E.requester_org,
        _E.household,
        _E.request_id,
        _E.purpose,
        _E.decision,
        _E.break_glass,
    ).where(
        _E.time >= since,
        _E.time < until,
        _E.event_type.in_(COUNTED_EVENTS),
        _E.requester_org.in_(sorted(organisations)),
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        CountedEntry(
            int(r.seq),
            utc(r.time),
            r.event_type,
            r.requester_org,
            r.household,
            r.request_id,
            r.purpose,
            r.decision,
            bool(r.break_glass),
        )
        for r in rows
    ]
