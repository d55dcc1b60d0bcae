"""Browser sessions in the database: a random opaque token, stored only as its SHA-256 hash.

One store for every kind of session (the household portal's, the privacy officer's),
each on its own table with the columns `token_hash`, `created_at`, `expires_at` and
`last_seen_at` besides its own. A session ends `idle` after its last request and
`absolute` after login, whichever comes first, or at logout (`revoke`). Resolving moves
the last-seen time on, written at most once per `touch_every`, so a page that makes
several calls costs one write. The kinds differ only in what a session holds
(`gateway.auth.sessions`, `gateway.auth.officer_sessions`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, Table, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from consent import begin_write

__all__ = ["MAX_TOKEN", "TOUCH_EVERY", "SessionStore", "token_hash"]

TOUCH_EVERY = timedelta(minutes=1)
MAX_TOKEN = 256


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SessionStore:
    """The sessions of one table; subclasses say what a session holds."""

    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        *,
        idle: timedelta,
        absolute: timedelta,
        touch_every: timedelta = TOUCH_EVERY,
    ) -> None:
        self._engine = engine
        self._table = table
        self.idle = idle
        self.absolute = absolute
        self._touch_every = min(touch_every, idle)

    async def _insert(
        self,
        columns: Callable[[str], Mapping[str, Any]],
        *,
        ttl: timedelta | None = None,
        now: datetime | None = None,
        replaces: str | None = None,
        audit: Callable[[AsyncConnection], Awaitable[None]] | None = None,
    ) -> str:
        """A new session with the kind's `columns` (given the token); returns the token
        (never stored in clear). `replaces`: the token the browser sent along, revoked in
        the same transaction (a login never keeps a session id it was given). `audit`:
        the login's entry, committed with the session or neither is."""
        token = secrets.token_urlsafe(32)
        created = (now or datetime.now(UTC)).astimezone(UTC)
        table = self._table
        async with begin_write(self._engine) as conn:
            if replaces:
                await conn.execute(
                    delete(table).where(table.c.token_hash == token_hash(replaces[:MAX_TOKEN]))
                )
            await conn.execute(
                insert(table).values(
                    token_hash=token_hash(token),
                    created_at=created,
                    expires_at=created + (ttl if ttl is not None else self.absolute),
                    last_seen_at=created,
                    **columns(token),
                )
            )
            if audit is not None:
                await audit(conn)
        return token

    async def _live(self, token: str, now: datetime | None) -> tuple[Row[Any], datetime] | None:
        """The live session's row for `token` and when it ends unless used again, or None
        (unknown, idle too long, or past its end). Moves its last-seen time on."""
        if not token or len(token) > MAX_TOKEN:
            return None
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        key = token_hash(token)
        table = self._table
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(table).where(table.c.token_hash == key))).first()
        if row is None:
            return None
        absolute_end = _aware(row.expires_at)
        last_seen = _aware(row.last_seen_at)
        if absolute_end <= moment or last_seen + self.idle <= moment:
            return None
        if moment - last_seen >= self._touch_every:
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(table)
                    .where(table.c.token_hash == key, table.c.last_seen_at < moment)
                    .values(last_seen_at=moment)
                )
            last_seen = moment
        return row, min(absolute_end, last_seen + self.idle)

    async def revoke(self, token: str) -> None:
        """End the session of `token` (logout); unknown tokens are ignored."""
        if not token or len(token) > MAX_TOKEN:
            return
        table = self._table
        async with self._engine.begin() as conn:
            await conn.execute(delete(table).where(table.c.token_hash == token_hash(token)))

    async def prune(self, now: datetime | None = None) -> int:
        """Forget every session past its end or idle too long; returns how many."""
        moment = now or datetime.now(UTC)
        table = self._table
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(table).where(
                    or_(table.c.expires_at <= moment, table.c.last_seen_at <= moment - self.idle)
                )
            )
        return int(result.rowcount or 0)
