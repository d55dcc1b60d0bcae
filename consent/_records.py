"""Consent records read back whole (with their history), shared by commands and reads.

The check decodes only the few columns it needs (`consent.check`); everything else
that shows or changes a declaration goes through these: a row becomes a full
`ConsentRecord` with its events, and an event is appended to the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from consent._sql import actor_from, append_event, aware
from consent.errors import ConsentNotFoundError
from consent.model import Actor, ConsentEvent, ConsentRecord, ConsentScope
from consent.tables import consent_events, consents, custody


async def load(conn: AsyncConnection, consent_id: str) -> ConsentRecord:
    row = (await conn.execute(select(consents).where(consents.c.id == consent_id))).first()
    if row is None:
        raise ConsentNotFoundError("no such consent")
    found = await events(conn, [consent_id])
    return replace(record_from(row), events=tuple(found.get(consent_id, ())))


async def load_where(conn: AsyncConnection, condition: Any) -> list[ConsentRecord]:
    """Every record matching `condition`, oldest first, each with its events."""
    rows = (
        await conn.execute(
            select(consents).where(condition).order_by(consents.c.given_at, consents.c.id)
        )
    ).all()
    found = await events(conn, [r.id for r in rows])
    return [replace(record_from(r), events=tuple(found.get(r.id, ()))) for r in rows]


async def events(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, list[ConsentEvent]]:
    found: dict[str, list[ConsentEvent]] = {}
    for start in range(0, len(ids), 500):
        rows = await conn.execute(
            select(consent_events)
            .where(consent_events.c.consent_id.in_(list(ids[start : start + 500])))
            .order_by(consent_events.c.id)
        )
        for r in rows:
            found.setdefault(r.consent_id, []).append(
                ConsentEvent(r.event, aware(r.at), actor_from(r.actor), dict(r.detail))
            )
    return found


async def append_consent_event(
    conn: AsyncConnection,
    consent_id: str,
    event: str,
    at: datetime,
    actor: Actor,
    detail: dict[str, str],
) -> None:
    await append_event(conn, consent_events, ("consent_id", consent_id), event, at, actor, detail)


async def has_custody(conn: AsyncConnection, parent: str, child: str, at: datetime) -> bool:
    """A relation in force at `at` that the custody register confirmed."""
    row = await conn.execute(
        select(custody.c.id)
        .where(
            and_(custody.c.parent == parent, custody.c.child == child),
            custody.c.confirmed_at.is_not(None),
            custody.c.since <= at,
            or_(custody.c.until_at.is_(None), custody.c.until_at > at),
        )
        .limit(1)
    )
    return row.first() is not None


def _scope(row: Row[Any]) -> ConsentScope:
    return ConsentScope(
        purposes=frozenset(row.purposes),
        categories=frozenset(row.categories),
        recipient_organisations=frozenset(row.recipient_organisations),
        recipient_types=frozenset(row.recipient_types),
        source_organisations=frozenset(row.source_organisations),
        source_types=frozenset(row.source_types),
        regions=frozenset(row.regions or ()),
    )


def record_from(row: Row[Any]) -> ConsentRecord:
    return ConsentRecord(
        id=row.id,
        subject=row.subject,
        given_by=row.given_by,
        giver_role=row.giver_role,
        decision=row.decision,
        status=row.status,
        scope=_scope(row),
        recorded_via=row.recorded_via,
        recorded_by=actor_from(row.recorded_by),
        given_at=aware(row.given_at),
        valid_from=aware(row.valid_from),
        valid_until=aware(row.valid_until) if row.valid_until is not None else None,
        evidence_reference=row.evidence_reference,
        policy_version=row.policy_version,
        withdrawn_at=aware(row.withdrawn_at) if row.withdrawn_at is not None else None,
        superseded_by=row.superseded_by,
    )
