"""The recorded decisions of a period, as a policy simulation replays them.

One query, only the columns a replay reads, oldest first, within the officer's scope
(requested by, or the source of, one of its organisations). Exchange decisions and a
household member's own portal reads are decisions; every other event type is not.
`count_decisions` lets the caller refuse a period that holds too many before reading.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    false,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway.audit.model import AuditEntry
from gateway.audit.query import Scope
from gateway.audit.storage import ENTRY_COLUMNS, entry_from_row, utc
from gateway.audit.tables import audit_entries

__all__ = [
    "DECISION_EVENTS",
    "ReplayRow",
    "count_decisions",
    "entries_with_justification",
    "recorded_decisions",
]

DECISION_EVENTS = ("exchange.decision", "household.read")
_E = audit_entries.c
_COLUMNS = (
    _E.seq,
    # As text on SQLite (parsed below by `fromisoformat`, in C): SQLAlchemy's own
    # processing of 100k SQLite times costs more than the whole replay. PostgreSQL's
    # driver returns a datetime either way.
    type_coerce(_E.time, String).label("time"),
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
    # Only whether a registered case resolved (`details.case_id`), tested in the database:
    # the whole details text of 100k rows costs more to fetch than the test.
    _E.details.contains('"case_id"', autoescape=True).label("case_named"),
)


class ReplayRow(NamedTuple):
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
    return conds + _in_scope(scope)


def _in_scope(scope: Scope) -> list[ColumnElement[bool]]:
    if scope.organisations is None:
        return []
    orgs = sorted(scope.organisations)
    return [or_(_E.requester_org.in_(orgs), _E.source.in_(orgs)) if orgs else false()]


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
    async with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            result = await _sqlite_rows(conn, query)
        else:
            result = list((await conn.execute(query)).all())  # one fetch: no switch per row
    parse = datetime.fromisoformat
    return [
        ReplayRow(
            int(seq),
            utc(at if isinstance(at, datetime) else parse(at)),
            event_type,
            org,
            professional,
            role,
            subject,
            purpose,
            source,
            category,
            decision,
            reason,
            _codes(rule_ids),
            _codes(consent_ids),
            bool(glass),
            bool(case_named),
        )
        for (
            seq,
            at,
            event_type,
            org,
            professional,
            role,
            subject,
            purpose,
            source,
            category,
            decision,
            reason,
            rule_ids,
            consent_ids,
            glass,
            case_named,
        ) in result
    ]


async def _sqlite_rows(conn: AsyncConnection, query: Select[Any]) -> list[Sequence[Any]]:
    """The rows as the driver's tuples, in one fetch on its thread: SQLAlchemy's row
    objects cost about half of reading 100k decisions. The statement is SQLAlchemy's own,
    compiled for SQLite; its times bound as SQLite stores them (`_sqlite_time`)."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    values = compiled.construct_params()
    params = tuple(
        _sqlite_time(v) if isinstance(v, datetime) else v
        for v in (values[name] for name in compiled.positiontup or ())
    )
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    rows: list[Sequence[Any]] = list(await driver.execute_fetchall(str(compiled), params))
    return rows


def _sqlite_time(value: datetime) -> str:
    """A time as SQLAlchemy's SQLite `DATETIME` stores it: UTC, to the microsecond."""
    return utc(value).strftime("%Y-%m-%d %H:%M:%S.%f")


@lru_cache(maxsize=4096)
def _codes(text: str) -> tuple[str, ...]:
    """A stored list of codes (few distinct ones: rule ids, consent ids), parsed once each."""
    return tuple(json.loads(text))


async def entries_with_justification(
    engine: AsyncEngine, scope: Scope, seqs: Sequence[int]
) -> list[AuditEntry]:
    """The entries `seqs` within `scope` that hold a sealed justification (whole entries:
    opening one needs its request id and key id), read in chunks, not one by one."""
    found: list[AuditEntry] = []
    ordered = sorted(set(seqs))
    async with engine.connect() as conn:
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            conds = [_E.seq.in_(chunk), _E.justification_ct.is_not(None), *_in_scope(scope)]
            rows = (await conn.execute(select(*ENTRY_COLUMNS).where(*conds))).mappings()
            found += [entry_from_row(row) for row in rows]
    return found
