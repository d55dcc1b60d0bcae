"""Notifications: telling the people a consent is about that something happened to it.

Written in the same transaction as the event they report, so a person is never
told of a change that was not kept, and never misses one that was.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from consent._sql import actor_from, aware, new_id
from consent.model import Actor, ConsentRecord, Notification
from consent.tables import consent_notifications


async def notify_affected(
    conn: AsyncConnection, record: ConsentRecord, event: str, at: datetime, actor: Actor
) -> None:
    """A notification for each person affected who did not act themselves (the
    subject, and whoever gave the consent)."""
    affected = dict.fromkeys((record.subject, record.given_by))
    notify = [p for p in affected if not (actor.kind == "person" and actor.person == p)]
    if notify:
        await conn.execute(
            insert(consent_notifications),
            [
                {
                    "id": new_id("nt"),
                    "person": person,
                    "consent_id": record.id,
                    "event": event,
                    "created_at": at,
                    "actor": actor.as_dict(),
                }
                for person in notify
            ],
        )


async def notifications_for(conn: AsyncConnection, person: str) -> list[Notification]:
    """What `person` was told, oldest first."""
    rows = await conn.execute(
        select(consent_notifications)
        .where(consent_notifications.c.person == person)
        .order_by(consent_notifications.c.created_at, consent_notifications.c.id)
    )
    return [
        Notification(
            r.id, r.person, r.consent_id, r.event, aware(r.created_at), actor_from(r.actor)
        )
        for r in rows
    ]
