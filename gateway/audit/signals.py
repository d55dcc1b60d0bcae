"""The queries behind the misuse signals, over a bounded window of the log.

Each reads only entries of `[since, until)` within the officer's scope, on the time
index, and aggregates in the database: one row per (organisation, professional, hour)
for volume, working hours and probing; the break-the-glass uses with no later regular
permit for the same subject; the permits for purposes that expect a case where none was
named. So the cost follows the window, not the size of the log. What a signal means and
when it fires is decided in `gateway.insight.signals`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    case,
    false,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway.audit.query import Scope
from gateway.audit.tables import audit_entries

__all__ = ["HourCount", "SignalQueries", "SubjectUse"]

_E = audit_entries.c
_DECISION = "exchange.decision"


@dataclass(frozen=True, slots=True)
class HourCount:
    """Decisions of one professional in one clock hour (UTC)."""

    organisation: str
    professional: str
    hour: datetime  # the hour's start, UTC
    decisions: int
    denials: int
    last_seq: int  # the newest entry of the hour (a link; the filters give all of them)
    last_denial_seq: int | None


@dataclass(frozen=True, slots=True, order=True)
class SubjectUse:
    """Entries found by a signal, grouped by who made them."""

    organisation: str
    professional: str
    count: int
    seqs: tuple[int, ...]  # the newest, at most the caller's limit


def _scope(scope: Scope) -> list[ColumnElement[bool]]:
    if scope.organisations is None:
        return []
    orgs = sorted(scope.organisations)
    return [or_(_E.requester_org.in_(orgs), _E.source.in_(orgs)) if orgs else false()]


def _hour(conn: AsyncConnection) -> ColumnElement[str]:
    """The entry's UTC hour as text `YYYY-MM-DD HH`, the same on both engines."""
    if conn.dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", _E.time), "YYYY-MM-DD HH24")
    return func.substr(type_coerce(_E.time, String), 1, 13)  # stored as UTC text


class SignalQueries:
    """The signal queries on the gateway's database (SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def hours(self, scope: Scope, since: datetime, until: datetime) -> list[HourCount]:
        async with self._engine.connect() as conn:
            hour = _hour(conn).label("hour")
            query = (
                select(
                    _E.requester_org,
                    _E.professional,
                    hour,
                    func.count().label("decisions"),
                    func.sum(case((_E.decision == "deny", 1), else_=0)).label("denials"),
                    func.max(_E.seq).label("last_seq"),
                    func.max(case((_E.decision == "deny", _E.seq), else_=None)).label("last_deny"),
                )
                .where(
                    _E.time >= since,
                    _E.time < until,
                    _E.event_type == _DECISION,
                    _E.requester_org.is_not(None),
                    _E.professional.is_not(None),
                    *_scope(scope),
                )
                .group_by(_E.requester_org, _E.professional, hour)
            )
            rows = (await conn.execute(query)).all()
        return [
            HourCount(
                r.requester_org,
                r.professional,
                datetime.strptime(r.hour, "%Y-%m-%d %H").replace(tzinfo=UTC),
                int(r.decisions),
                int(r.denials or 0),
                int(r.last_seq),
                None if r.last_deny is None else int(r.last_deny),
            )
            for r in rows
        ]

    async def break_glass_without_basis(
        self, scope: Scope, since: datetime, until: datetime, *, limit: int
    ) -> list[SubjectUse]:
        """Break-the-glass permits in the window with no later regular permit by the same
        organisation for the same subject."""
        later = audit_entries.alias("later")
        regular = (
            select(later.c.seq)
            .where(
                later.c.subject == _E.subject,
                later.c.seq > _E.seq,
                later.c.requester_org == _E.requester_org,
                later.c.event_type == _DECISION,
                later.c.decision == "permit",
                ~later.c.break_glass,
            )
            .exists()
        )
        query = (
            select(_E.seq, _E.requester_org, _E.professional)
            .where(
                _E.break_glass,
                _E.time >= since,
                _E.time < until,
                _E.event_type == _DECISION,
                _E.decision == "permit",
                ~regular,
                *_scope(scope),
            )
            .order_by(_E.seq.desc())
        )
        return await self._grouped(query, limit)

    async def without_case(
        self,
        scope: Scope,
        since: datetime,
        until: datetime,
        *,
        purposes: Sequence[str],
    ) -> list[SubjectUse]:
        """Permits for `purposes` where the request named no registered case, counted per
        professional (with the newest such entry as the link)."""
        if not purposes:
            return []
        query = (
            select(_E.requester_org, _E.professional, func.count(), func.max(_E.seq))
            .where(
                _E.time >= since,
                _E.time < until,
                _E.event_type == _DECISION,
                _E.decision == "permit",
                _E.purpose.in_(sorted(purposes)),
                ~_E.details.contains('"case_id"'),
                *_scope(scope),
            )
            .group_by(_E.requester_org, _E.professional)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return sorted(
            SubjectUse(org or "", prof or "", int(count), (int(last),))
            for org, prof, count, last in rows
        )

    async def _grouped(self, query: Select[Any], limit: int) -> list[SubjectUse]:
        groups: dict[tuple[str, str], tuple[int, list[int]]] = {}
        async with self._engine.connect() as conn:
            result = await conn.stream(query)
            async for seq, org, professional in result:
                key = (org or "", professional or "")
                count, seqs = groups.get(key, (0, []))
                if len(seqs) < limit:
                    seqs.append(int(seq))
                groups[key] = (count + 1, seqs)
        return [
            SubjectUse(org, prof, count, tuple(seqs))
            for (org, prof), (count, seqs) in sorted(groups.items())
        ]
