"""The consent check the exchange pipeline asks on every request: the hot path.

Kept apart from recording, withdrawing and reading history so that what runs per
exchange is visible in one place and nothing else slows it down. One indexed read
(`_CHECK`, run by `CheckReader` on a kept driver connection) gives the subject's
memberships, confirmed custody holders, live declarations and open cases; coverage
is then evaluated in memory (`consent.rules.evaluate`). No cache: every check reads
the live declarations, so a withdrawal is honoured on the very next request on
every gateway instance that shares the database.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Integer, Text, bindparam, cast, literal_column, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncEngine

from consent._fastread import CheckReader, as_date, as_datetime, as_list
from consent._sql import utc
from consent.model import (
    Actor,
    ConsentRecord,
    ConsentScope,
    Coverage,
    RequesterRef,
    SourceRef,
    SubjectState,
    SubjectSummary,
)
from consent.rules import AgeRules, evaluate
from consent.tables import case_subjects, cases, consents, custody, household_members, households

__all__ = ["LIVE", "ConsentStore", "Item", "SqlConsentCheck"]

Item = tuple[str, str, SourceRef | None]

LIVE = ("active", "refused")  # the statuses a check (and a withdrawal) acts on
_NEVER = datetime.min.replace(tzinfo=UTC)  # a relation the register never confirmed


def _as_text(column: Any) -> Any:
    """A JSON column read as its text: no driver decodes it (asyncpg's codec would, on
    every read), and equal text makes equal rows (see `_check_record`)."""
    return cast(column, Text).label(column.name)


_CHECK_COLUMNS = (
    consents.c.id,
    consents.c.subject,
    consents.c.given_by,
    consents.c.decision,
    consents.c.status,
    _as_text(consents.c.purposes),
    _as_text(consents.c.categories),
    _as_text(consents.c.recipient_organisations),
    _as_text(consents.c.recipient_types),
    _as_text(consents.c.source_organisations),
    _as_text(consents.c.source_types),
    consents.c.valid_from,
    consents.c.valid_until,
    _as_text(consents.c.regions),
)

# Built once. The check reads, in one round trip, the subject's memberships (with their
# household's regiehouder and region) joined with the custody relations naming them as
# child (indexes: household_members.person, custody.child), their live declarations
# (index: consents subject+status) and the open cases covering them (index:
# case_subjects.subject). Validity in time is judged in Python, at the request's
# moment, so the statement has a single parameter. Row layout: kind, the profile
# columns, the consent columns, the case columns (each part fills only its own).
_PROFILE_COLUMNS = (
    household_members.c.birth_date,
    custody.c.parent,
    custody.c.since,
    custody.c.until_at,
    household_members.c.id.label("member_id"),
    household_members.c.household_id,
    households.c.regiehouder,
    household_members.c.since.label("member_since"),
    household_members.c.until_at.label("member_until"),
    households.c.region,
    custody.c.confirmed_at,
)
_CASE_COLUMNS = (
    cases.c.organisation.label("case_organisation"),
    cases.c.reference.label("case_reference"),
    cases.c.id.label("case_id"),
)


def _nulls(columns: Sequence[Any]) -> list[Any]:
    return [cast(null(), column.type).label(column.name) for column in columns]


_PROFILE_PART = (
    select(
        literal_column("0", Integer).label("kind"),
        *_PROFILE_COLUMNS,
        *_nulls(_CHECK_COLUMNS),
        *_nulls(_CASE_COLUMNS),
    )
    .select_from(
        household_members.join(
            households, households.c.id == household_members.c.household_id
        ).outerjoin(custody, custody.c.child == household_members.c.person)
    )
    .where(household_members.c.person == bindparam("subject"))
)
_LIVE_PART = select(
    literal_column("1", Integer).label("kind"),
    *_nulls(_PROFILE_COLUMNS),
    *_CHECK_COLUMNS,
    *_nulls(_CASE_COLUMNS),
).where(
    consents.c.subject == bindparam("subject"),
    # Constants inlined: an expanding IN would be re-rendered on every execution.
    consents.c.status.in_([literal_column(f"'{status}'") for status in LIVE]),
)
_CASES_PART = (
    select(
        literal_column("2", Integer).label("kind"),
        *_nulls(_PROFILE_COLUMNS),
        *_nulls(_CHECK_COLUMNS),
        *_CASE_COLUMNS,
    )
    .select_from(case_subjects.join(cases, cases.c.id == case_subjects.c.case_id))
    .where(
        case_subjects.c.subject == bindparam("subject"),
        cases.c.status == literal_column("'open'"),
    )
)
_CHECK = union_all(_PROFILE_PART, _LIVE_PART, _CASES_PART)
_P = 1 + len(_PROFILE_COLUMNS)  # where the consent columns start in a `_CHECK` row
_C = _P + len(_CHECK_COLUMNS)  # where the case columns start


class ConsentStore(Protocol):
    """The port the exchange pipeline uses."""

    async def covers(
        self,
        subject: str,
        requester: RequesterRef,
        purpose: str,
        category: str,
        source: SourceRef | None,
        at: datetime,
    ) -> Coverage: ...

    async def covers_many(
        self, subject: str, requester: RequesterRef, items: Sequence[Item], at: datetime
    ) -> list[Coverage]: ...


class SqlConsentCheck:
    """`ConsentStore` on SQL: the subject's state from one read, coverage in memory.

    `SqlConsentStore` is this class plus the commands and history reads; it inherits
    rather than wraps it so a check costs no extra call.
    """

    def __init__(self, engine: AsyncEngine, *, rules: AgeRules) -> None:
        # The check's one read; every call sees the latest committed state.
        self._check = CheckReader(engine, _CHECK, "subject")
        self.rules = rules

    async def close(self) -> None:
        """Give back the connections the check keeps; call before disposing the engine."""
        await self._check.close()

    async def covers(
        self,
        subject: str,
        requester: RequesterRef,
        purpose: str,
        category: str,
        source: SourceRef | None,
        at: datetime,
    ) -> Coverage:
        return (await self.covers_many(subject, requester, [(purpose, category, source)], at))[0]

    async def covers_many(
        self, subject: str, requester: RequesterRef, items: Sequence[Item], at: datetime
    ) -> list[Coverage]:
        """One coverage per (purpose, category, source), from one read of the subject's
        state (`subject_state`), evaluated in memory. Nothing is cached."""
        return self.covers_in(await self.subject_state(subject, at), requester, items)

    async def subject_state(self, subject: str, at: datetime) -> SubjectState:
        """The subject's household, birth date, custody holders and live declarations
        at `at`, from one indexed read (`_CHECK`). Nothing is cached.

        Only relations the custody register confirmed count as custody holders;
        `custody_checked_at` says how fresh they are (the gateway re-reads stale ones)."""
        when = utc(at)
        rows = await self._check.rows(subject)
        profile = [r for r in rows if r[0] == 0]
        live = tuple(_check_record(r) for r in rows if r[0] == 1) if profile else ()
        open_cases = {(r[_C], r[_C + 1]): r[_C + 2] for r in rows if r[0] == 2}
        holders: set[str] = set()
        checked: datetime | None = None
        current: tuple[Any, ...] | None = None
        for row in profile:
            (_, _, parent, since, until, member_id, _, _,
             member_since, member_until, _, confirmed_at) = row[:12]  # fmt: skip
            if parent is not None and _in_force(since, until, when):
                confirmed = as_datetime(confirmed_at)
                if confirmed is not None:
                    holders.add(parent)
                oldest = confirmed or _NEVER
                checked = oldest if checked is None else min(checked, oldest)
            if _in_force(member_since, member_until, when) and (
                current is None or member_id < current[5]
            ):
                current = row
        birth = as_date((current or profile[0])[1]) if profile else None
        summary = (
            SubjectSummary(current[6], birth, current[7], current[10])
            if current is not None and birth is not None
            else None
        )
        return SubjectState(
            subject,
            when,
            summary,
            birth,
            frozenset(holders),
            live,
            open_cases=open_cases,
            custody_checked_at=checked,
        )

    def covers_in(
        self, state: SubjectState, requester: RequesterRef, items: Sequence[Item]
    ) -> list[Coverage]:
        """`covers_many` on a state already read (the exchange reads it once per request)."""
        return [
            evaluate(
                state.subject,
                state.birth_date,
                state.custody_holders,
                state.live,
                requester,
                purpose,
                category,
                source,
                state.at,
                self.rules,
                state.region,
            )
            for purpose, category, source in items
        ]


def _in_force(since: Any, until: Any, at: datetime) -> bool:
    start, end = as_datetime(since), as_datetime(until)
    return start is not None and start <= at and (end is None or at < end)


def _check_record(row: tuple[Any, ...]) -> ConsentRecord:
    """A row of `_CHECK` (kind 1): just what the check needs.

    The record is immutable and made from nothing but the row's values, so a row read
    again with the very same values (the same declaration, unchanged) gives back the
    record made before: the read itself is never skipped, and a changed row (a
    withdrawal, a new end date) is a different key."""
    values = row[_P:_C]
    try:
        return _record_of_values(values)
    except TypeError:  # a driver value that cannot be a key (none of ours today)
        return _record_of_values.__wrapped__(values)


@functools.lru_cache(maxsize=4096)
def _record_of_values(values: tuple[Any, ...]) -> ConsentRecord:
    (id_, subject, given_by, decision, status, purposes, categories,
     r_orgs, r_types, s_orgs, s_types, valid_from, valid_until, regions) = values  # fmt: skip
    # A row without a start (the schema forbids it) is never in force: fail closed.
    start = as_datetime(valid_from) or datetime.max.replace(tzinfo=UTC)
    return ConsentRecord(
        id=id_,
        subject=subject,
        given_by=given_by,
        giver_role="self",
        decision=decision,
        status=status,
        scope=ConsentScope(
            purposes=frozenset(as_list(purposes)),
            categories=frozenset(as_list(categories)),
            recipient_organisations=frozenset(as_list(r_orgs)),
            recipient_types=frozenset(as_list(r_types)),
            source_organisations=frozenset(as_list(s_orgs)),
            source_types=frozenset(as_list(s_types)),
            regions=frozenset(as_list(regions)),
        ),
        recorded_via="portal",
        recorded_by=Actor("system"),
        given_at=start,
        valid_from=start,
        valid_until=as_datetime(valid_until),
        evidence_reference=None,
        policy_version="",
    )
