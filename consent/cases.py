"""`SqlCaseStore`: the cases organisations register, and whether one covers a person.

A case is what makes a case reference mean something: a rule that needs one holds
only for an open case of the requester, with that reference, covering the subject.
The exchange learns that from the subject read (`consent.check`, one statement);
the household read asks `open_case_covering` here (one indexed statement).

Writes take an optional `within(conn)` hook, run inside the case's own transaction
just before it commits: that is where the audit entry goes once the audit log can
append on a caller's connection, so the case and its entry commit together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from consent._sql import actor_from, aware, begin_write, new_id, utc
from consent.errors import (
    CaseAlreadyClosedError,
    CaseNotFoundError,
    CaseReferenceInUseError,
    InvalidCaseError,
)
from consent.model import CASE_REFERENCE, Actor, Case
from consent.tables import case_subjects, cases

__all__ = ["MAX_CASE_SUBJECTS", "SqlCaseStore", "Within"]

MAX_CASE_SUBJECTS = 50

Within = Callable[[AsyncConnection], Awaitable[None]]


class SqlCaseStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @staticmethod
    def prepare(
        *,
        organisation: str,
        reference: str,
        subjects: Sequence[str],
        actor: Actor,
        at: datetime | None = None,
    ) -> Case:
        """A new open case, checked but not stored yet (its id is fixed here)."""
        if not CASE_REFERENCE.match(reference):
            raise InvalidCaseError(
                "the reference must be 1-64 letters, digits or -_./: and start with "
                "a letter or digit"
            )
        if not 0 < len(subjects) <= MAX_CASE_SUBJECTS:
            raise InvalidCaseError(f"a case covers 1 to {MAX_CASE_SUBJECTS} people")
        if len(set(subjects)) != len(subjects):
            raise InvalidCaseError("a person is listed twice")
        return Case(
            id=new_id("case"),
            organisation=organisation,
            reference=reference,
            subjects=tuple(subjects),
            status="open",
            opened_at=utc(at or datetime.now(UTC)),
            opened_by=actor,
        )

    async def open(self, case: Case, *, within: Within | None = None) -> Case:
        """Store a prepared case. Refused if the organisation has an open case with the
        same reference (a closed one's reference may be used again)."""
        try:
            async with begin_write(self._engine) as conn:
                taken = await conn.execute(
                    select(
                        exists().where(
                            cases.c.organisation == case.organisation,
                            cases.c.reference == case.reference,
                            cases.c.status == "open",
                        )
                    )
                )
                if taken.scalar():
                    raise CaseReferenceInUseError("an open case already has this reference")
                await conn.execute(
                    insert(cases).values(
                        id=case.id,
                        organisation=case.organisation,
                        reference=case.reference,
                        status="open",
                        opened_at=case.opened_at,
                        opened_by=case.opened_by.as_dict(),
                    )
                )
                await conn.execute(
                    insert(case_subjects),
                    [{"case_id": case.id, "subject": subject} for subject in case.subjects],
                )
                if within is not None:
                    await within(conn)
        except IntegrityError:  # a concurrent open with the same reference won the race
            raise CaseReferenceInUseError("an open case already has this reference") from None
        return case

    async def close(
        self,
        case_id: str,
        *,
        organisation: str,
        actor: Actor,
        at: datetime | None = None,
        within: Within | None = None,
    ) -> Case:
        """Close `organisation`'s case; from the next request on it satisfies no rule."""
        when = utc(at or datetime.now(UTC))
        async with begin_write(self._engine) as conn:
            result = await conn.execute(
                update(cases)
                .where(
                    cases.c.id == case_id,
                    cases.c.organisation == organisation,
                    cases.c.status == "open",
                )
                .values(status="closed", closed_at=when, closed_by=actor.as_dict())
            )
            if not result.rowcount:
                found = await _load(conn, case_id, organisation)
                raise CaseAlreadyClosedError(f"case {found.id} is already closed")
            if within is not None:
                await within(conn)
            return await _load(conn, case_id, organisation)

    async def get(self, case_id: str, organisation: str) -> Case:
        """`organisation`'s case; any other organisation's is not found (no existence leak)."""
        async with self._engine.connect() as conn:
            return await _load(conn, case_id, organisation)

    async def open_case_covering(
        self, organisation: str, reference: str, subjects: Sequence[str]
    ) -> str | None:
        """The id of `organisation`'s open case `reference` that covers any of `subjects`."""
        if not subjects or not CASE_REFERENCE.match(reference):
            return None
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(cases.c.id)
                    .select_from(case_subjects.join(cases, cases.c.id == case_subjects.c.case_id))
                    .where(
                        case_subjects.c.subject.in_(list(subjects)),
                        cases.c.organisation == organisation,
                        cases.c.reference == reference,
                        cases.c.status == "open",
                    )
                    .limit(1)
                )
            ).first()
        return None if row is None else str(row.id)


async def _load(conn: AsyncConnection, case_id: str, organisation: str) -> Case:
    row = (
        await conn.execute(
            select(cases).where(cases.c.id == case_id, cases.c.organisation == organisation)
        )
    ).first()
    if row is None:
        raise CaseNotFoundError("no such case")
    subjects = await conn.execute(
        select(case_subjects.c.subject)
        .where(case_subjects.c.case_id == case_id)
        .order_by(case_subjects.c.id)
    )
    return Case(
        id=row.id,
        organisation=row.organisation,
        reference=row.reference,
        subjects=tuple(s.subject for s in subjects),
        status="closed" if row.status == "closed" else "open",
        opened_at=aware(row.opened_at),
        opened_by=actor_from(row.opened_by),
        closed_at=_maybe(row.closed_at),
        closed_by=None if row.closed_by is None else actor_from(row.closed_by),
    )


def _maybe(value: Any) -> datetime | None:
    return None if value is None else aware(value)
