"""When each household member last opened their access log: `SqlVisitStore`.

The portal marks entries "new since your last visit"; the mark is the moment of the
visit before this one, so that paging through one visit keeps the same mark.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.storage.tables import portal_visits

__all__ = ["SqlVisitStore"]

_V = portal_visits.c


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SqlVisitStore:
    """`gateway.access.access_log.VisitLog` on the gateway's database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def previous(self, person: str) -> datetime | None:
        """The visit before the current one (None: the first visit)."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(_V.previous_visit_at).where(_V.person == person))
            ).first()
        return None if row is None else _aware(row.previous_visit_at)

    async def visit(self, person: str, at: datetime) -> datetime | None:
        """Record a new visit at `at`; returns the last one before it (None: the first)."""
        async with self._engine.begin() as conn:
            row = (await conn.execute(select(_V.last_visit_at).where(_V.person == person))).first()
            if row is not None:
                last = _aware(row.last_visit_at)
                await conn.execute(
                    update(portal_visits)
                    .where(_V.person == person)
                    .values(previous_visit_at=last, last_visit_at=at)
                )
                return last
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(portal_visits).values(
                        person=person, previous_visit_at=None, last_visit_at=at
                    )
                )
        except IntegrityError:  # a concurrent first visit won: it was the first
            pass
        return None
