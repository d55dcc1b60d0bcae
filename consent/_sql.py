"""Small helpers shared by the storage modules."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from consent.model import Actor

__all__ = ["actor_from", "append_event", "aware", "new_id", "utc"]


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def utc(value: datetime) -> datetime:
    """Timezone-aware UTC (SQLite keeps no offset, so everything is stored in UTC)."""
    if value.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return value.astimezone(UTC)


def aware(value: datetime) -> datetime:
    """A value read back: SQLite gives naive UTC, PostgreSQL aware; make both aware UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def actor_from(data: Any) -> Actor:
    if not isinstance(data, dict):
        return Actor("system")
    kind = data.get("kind", "system")
    return Actor(
        kind if kind in ("professional", "person", "system") else "system",
        organisation=data.get("organisation"),
        professional=data.get("professional"),
        person=data.get("person"),
    )


async def append_event(
    conn: AsyncConnection,
    events: Table,
    owner: tuple[str, str],
    event: str,
    at: datetime,
    actor: Actor,
    detail: dict[str, str],
) -> None:
    """One row of an append-only history table (`owner` = its key column and value)."""
    column, value = owner
    await conn.execute(
        insert(events).values(
            {column: value, "event": event, "at": at, "actor": actor.as_dict(), "detail": detail}
        )
    )
