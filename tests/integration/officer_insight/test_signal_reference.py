"""The signal queries (`gateway.audit.signals`: aggregates in the database, whole working
hours as one `IN` list of hour texts, time bounds rendered into the statement, the window's
break-the-glass uses by their own index) against a plain Python reading of the same rows,
for any mix of entries, scope and working hours, on both engines."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.audit.query import Scope
from gateway.audit.signals import HourCount, PersonCount, SignalQueries, SubjectUse
from gateway.audit.storage import json_list, json_object
from gateway.audit.tables import audit_entries
from gateway.insight.config import WorkingHours
from gateway.insight.signals import working_intervals

ORGS = ("wijkteam-utrecht", "veilig-thuis-utrecht", "rvdk-midden-nederland")
PURPOSES = ("support_planning", "child_protection_investigation", "protection_measure_execution")
CASE_PURPOSES = PURPOSES[1:]
WINDOW, RECENT, GRACE = timedelta(days=28), timedelta(days=1), timedelta(days=3)
SPAN_MINUTES = 29 * 24 * 60  # from a day before the window to its end
_runs = itertools.count()
_seqs = itertools.count(1)


@dataclass(frozen=True)
class Row:
    seq: int
    time: datetime
    event_type: str
    requester_org: str
    professional: str
    source: str
    subject: str
    purpose: str
    decision: str
    break_glass: bool
    case: bool


BOUNDS = (24 * 60, SPAN_MINUTES - 24 * 60, SPAN_MINUTES - 3 * 24 * 60, SPAN_MINUTES)
# Minutes after the start: anywhere, on a quarter hour (where working hours may begin or
# end), or right at a bound of the window, of "recent" or of the grace period.
minutes = st.one_of(
    st.integers(0, SPAN_MINUTES),
    st.integers(0, SPAN_MINUTES // 15).map(lambda q: 15 * q),
    st.tuples(st.sampled_from(BOUNDS), st.integers(-1, 1)).map(lambda b: b[0] + b[1]),
)
entries = st.lists(
    st.tuples(
        st.integers(0, 2),  # requester
        st.integers(0, 2),  # source
        st.integers(0, 3),  # professional
        minutes,
        st.sampled_from(["permit", "deny"]),
        st.integers(0, 2),  # purpose
        st.booleans(),  # named a case
        st.booleans(),  # break-the-glass
        st.integers(0, 3),  # subject
        st.sampled_from(["exchange.decision"] * 5 + ["audit.query"]),
    ),
    min_size=10,
    max_size=80,
)
scopes = st.sampled_from([None, (0,), (1, 2), (0, 1, 2)])
hours = st.tuples(
    st.integers(0, 22), st.sampled_from([0, 15, 30]), st.integers(1, 10), st.sets(st.integers(1, 7))
)


def _rows(run: int, start: datetime, mix: list[tuple[Any, ...]]) -> list[Row]:
    rows = []
    for req, src, prof, minutes, decision, purpose, case, glass, subject, event in mix:
        rows.append(
            Row(
                next(_seqs),
                start + timedelta(minutes=minutes),
                event,
                ORGS[req],
                f"prof-{run}-{prof}",  # fresh per example: the examples share the database
                ORGS[src],
                f"ps_{run:020d}{subject:020d}",
                PURPOSES[purpose],
                decision,
                glass and decision == "permit",
                case,
            )
        )
    return rows


async def _store(engine: AsyncEngine, rows: list[Row]) -> None:
    if not rows:
        return
    values = [
        {
            "seq": r.seq,
            "time": r.time,
            "event_type": r.event_type,
            "request_id": f"req_{r.seq}",
            "requester_org": r.requester_org,
            "professional": r.professional,
            "subject": r.subject,
            "purpose": r.purpose,
            "source": r.source,
            "decision": r.decision,
            "rule_ids": json_list(()),
            "consent_ids": json_list(()),
            "break_glass": r.break_glass,
            "confidentiality": "normal",
            "details": json_object(
                {"exchange_id": f"ex_{r.seq}"} | ({"case_id": "c1"} if r.case else {})
            ),
            "prev_hash": "0" * 64,
            "hash": f"{r.seq:064x}",
        }
        for r in rows
    ]
    async with engine.begin() as conn:
        await conn.execute(insert(audit_entries), values)


def _in_scope(row: Row, scope: Scope) -> bool:
    orgs = scope.organisations
    return orgs is None or row.requester_org in orgs or row.source in orgs


def _people(rows: list[Row], scope: Scope, since: datetime, recent: datetime, until: datetime,
            working: list[tuple[datetime, datetime]]) -> list[PersonCount]:  # fmt: skip
    groups: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for r in rows:
        if r.event_type == "exchange.decision" and since <= r.time < until and _in_scope(r, scope):
            groups[r.requester_org, r.professional].append(r)
    found = []
    for (org, prof), group in groups.items():
        late = [r.seq for r in group if r.time >= recent]
        off = [r.seq for r in group if not any(a <= r.time < b for a, b in working)]
        found.append(PersonCount(org, prof, len(late), len(group) - len(late), len(off),
                                 max(late, default=None), max(off, default=None)))  # fmt: skip
    return sorted(found, key=lambda p: (p.organisation, p.professional))


def _bursts(rows: list[Row], scope: Scope, since: datetime, until: datetime, at_least: int
            ) -> list[HourCount]:  # fmt: skip
    groups: dict[tuple[str, str, datetime], list[int]] = defaultdict(list)
    for r in rows:
        if (r.event_type == "exchange.decision" and r.decision == "deny"
                and since <= r.time < until and _in_scope(r, scope)):  # fmt: skip
            hour = r.time.replace(minute=0, second=0, microsecond=0)
            groups[r.requester_org, r.professional, hour].append(r.seq)
    return sorted((HourCount(o, p, h, len(s), max(s)) for (o, p, h), s in groups.items()
                   if len(s) >= at_least), key=_hour_key)  # fmt: skip


def _hour_key(h: HourCount) -> tuple[str, str, datetime]:
    return h.organisation, h.professional, h.hour


def _regular_later(rows: list[Row], use: Row) -> bool:
    return any(
        r.subject == use.subject and r.seq > use.seq and r.requester_org == use.requester_org
        and r.event_type == "exchange.decision" and r.decision == "permit" and not r.break_glass
        for r in rows
    )  # fmt: skip


def _uses(found: dict[tuple[str, str], list[int]], limit: int) -> list[SubjectUse]:
    return sorted(
        SubjectUse(o, p, len(s), tuple(sorted(s, reverse=True)[:limit]))
        for (o, p), s in found.items()
    )


def _glass(rows: list[Row], scope: Scope, since: datetime, until: datetime, limit: int
           ) -> list[SubjectUse]:  # fmt: skip
    found: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r in rows:
        if (r.break_glass and r.event_type == "exchange.decision" and r.decision == "permit"
                and since <= r.time < until and _in_scope(r, scope)
                and not _regular_later(rows, r)):  # fmt: skip
            found[r.requester_org, r.professional].append(r.seq)
    return _uses(found, limit)


def _no_case(rows: list[Row], scope: Scope, since: datetime, until: datetime
             ) -> list[SubjectUse]:  # fmt: skip
    found: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r in rows:
        if (r.event_type == "exchange.decision" and r.decision == "permit"
                and r.purpose in CASE_PURPOSES and not r.case
                and since <= r.time < until and _in_scope(r, scope)):  # fmt: skip
            found[r.requester_org, r.professional].append(r.seq)
    return sorted(SubjectUse(o, p, len(s), (max(s),)) for (o, p), s in found.items())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mix=entries, scoped=scopes, working=hours, at_least=st.integers(1, 3))
async def test_the_signal_queries_agree_with_a_plain_reading_of_the_rows(
    engine: AsyncEngine,
    mix: list[tuple[Any, ...]],
    scoped: tuple[int, ...] | None,
    working: tuple[int, int, int, set[int]],
    at_least: int,
) -> None:
    run = next(_runs)
    # Each example on its own stretch of time (and its own people and subjects).
    start = datetime(2020, 1, 6, 9, tzinfo=UTC) + timedelta(days=60 * run)
    now = start + timedelta(minutes=SPAN_MINUTES)
    since, recent, grace = now - WINDOW, now - RECENT, now - GRACE
    rows = _rows(run, start, mix)
    await _store(engine, rows)
    scope = Scope(None if scoped is None else frozenset(ORGS[i] for i in scoped))
    hour, minute, length, days = working
    end = min(time(hour + length, minute) if hour + length < 24 else time.max, time.max)
    work = WorkingHours(start=time(hour, minute), end=end, days=frozenset(days))
    intervals = working_intervals(work, since, now)
    queries = SignalQueries(engine)

    people = await queries.people(scope, since, recent, now, intervals)
    assert sorted(people, key=lambda p: (p.organisation, p.professional)) == _people(
        rows, scope, since, recent, now, intervals
    )
    bursts = await queries.denial_bursts(scope, since, now, at_least=at_least)
    assert sorted(bursts, key=_hour_key) == _bursts(rows, scope, since, now, at_least)
    glass = await queries.break_glass_without_basis(scope, since, grace, limit=3)
    assert glass == _glass(rows, scope, since, grace, 3)
    no_case = await queries.without_case(scope, since, now, purposes=CASE_PURPOSES)
    assert no_case == _no_case(rows, scope, since, now)
