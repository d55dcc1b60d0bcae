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
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
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

__all__ = ["HourCount", "PersonCount", "SignalQueries", "SubjectUse"]

_E = audit_entries.c
_DECISION = "exchange.decision"


@dataclass(frozen=True, slots=True)
class PersonCount:
    """One professional's decisions in the window: recent, earlier, and outside working
    hours, with the newest entry of each as a link (the filters give all of them)."""

    organisation: str
    professional: str
    recent: int
    earlier: int
    off_hours: int
    last_recent_seq: int | None
    last_off_hours_seq: int | None


@dataclass(frozen=True, slots=True)
class HourCount:
    """Denied decisions of one professional in one clock hour (UTC)."""

    organisation: str
    professional: str
    hour: datetime  # the hour's start, UTC
    denials: int
    last_denial_seq: int


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


def _at(moment: datetime) -> BindParameter[datetime]:
    """A time bound rendered into the statement, not sent as a parameter: PostgreSQL plans
    a prepared statement generically after five runs, and for the window's ranges that
    plan is about three times slower than one made for the actual bounds
    (bench/officer_signals.py). The bounds change on every call anyway, so nothing is
    lost by planning each run."""
    return bindparam(None, moment, type_=_E.time.type, literal_execute=True)


def _hour(conn: AsyncConnection) -> ColumnElement[str]:
    """The entry's UTC hour as text `YYYY-MM-DD HH`, the same on both engines."""
    if conn.dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", _E.time), "YYYY-MM-DD HH24")
    return func.substr(type_coerce(_E.time, String), 1, 13)  # stored as UTC text


def _split_hours(
    intervals: Sequence[tuple[datetime, datetime]],
) -> tuple[set[str], list[tuple[datetime, datetime]]]:
    """The whole UTC hours inside `intervals` (as `_hour` texts) and the ragged ends."""
    whole: set[str] = set()
    ragged: list[tuple[datetime, datetime]] = []
    step = timedelta(hours=1)
    for start, end in intervals:
        first = start.replace(minute=0, second=0, microsecond=0)
        if first < start:
            first += step
            ragged.append((start, min(first, end)))
        at = first
        while at + step <= end:
            whole.add(at.astimezone(UTC).strftime("%Y-%m-%d %H"))
            at += step
        if at < end and at >= start:
            ragged.append((at, end))
    return whole, ragged


class SignalQueries:
    """The signal queries on the gateway's database (SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @property
    def concurrent(self) -> bool:
        """Whether the queries are best run at once: on PostgreSQL each runs in its own
        server process (bench/officer_signals.py: about 20% faster at 1M); on SQLite they
        share the client's process and file, and at load they measured slower together."""
        return self._engine.dialect.name == "postgresql"

    async def people(
        self,
        scope: Scope,
        since: datetime,
        recent: datetime,
        until: datetime,
        working: Sequence[tuple[datetime, datetime]],
    ) -> list[PersonCount]:
        """Per professional: decisions since `recent`, before it, and outside the
        `working` intervals (UTC), in one pass over the window. Whole UTC hours of the
        intervals are matched as one `IN` list of hour texts (a look-up per row), only the
        ragged ends as time ranges."""
        whole, ragged = _split_hours(working)
        async with self._engine.connect() as conn:
            hour = _hour(conn)
            terms: list[ColumnElement[bool]] = [hour.in_(sorted(whole))] if whole else []
            terms += [and_(_E.time >= _at(a), _E.time < _at(b)) for a, b in ragged]
            inside = or_(*terms) if terms else false()
            is_recent = _E.time >= _at(recent)
            query = (
                select(
                    _E.requester_org,
                    _E.professional,
                    func.sum(case((is_recent, 1), else_=0)),
                    func.sum(case((is_recent, 0), else_=1)),
                    func.sum(case((inside, 0), else_=1)),
                    func.max(case((is_recent, _E.seq), else_=None)),
                    func.max(case((inside, None), else_=_E.seq)),
                )
                .where(*self._decisions(scope, since, until))
                .group_by(_E.requester_org, _E.professional)
            )
            rows = (await conn.execute(query)).all()
        return [
            PersonCount(org, prof, int(r or 0), int(e or 0), int(o or 0),
                        None if lr is None else int(lr), None if lo is None else int(lo))
            for org, prof, r, e, o, lr, lo in rows
        ]  # fmt: skip

    async def denial_bursts(
        self, scope: Scope, since: datetime, until: datetime, *, at_least: int
    ) -> list[HourCount]:
        """(professional, clock hour) with at least `at_least` denied decisions."""
        async with self._engine.connect() as conn:
            hour = _hour(conn).label("hour")
            query = (
                select(_E.requester_org, _E.professional, hour, func.count(), func.max(_E.seq))
                .where(*self._decisions(scope, since, until), _E.decision == "deny")
                .group_by(_E.requester_org, _E.professional, hour)
                .having(func.count() >= at_least)
            )
            rows = (await conn.execute(query)).all()
        return [
            HourCount(org, prof, datetime.strptime(h, "%Y-%m-%d %H").replace(tzinfo=UTC),
                      int(n), int(last))
            for org, prof, h, n, last in rows
        ]  # fmt: skip

    @staticmethod
    def _decisions(scope: Scope, since: datetime, until: datetime) -> list[ColumnElement[bool]]:
        return [
            _E.time >= _at(since),
            _E.time < _at(until),
            _E.event_type == _DECISION,
            _E.requester_org.is_not(None),
            _E.professional.is_not(None),
            *_scope(scope),
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
                _E.time >= _at(since),
                _E.time < _at(until),
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
                _E.time >= _at(since),
                _E.time < _at(until),
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
