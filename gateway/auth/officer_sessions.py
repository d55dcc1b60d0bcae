"""Privacy-officer console sessions: a random opaque token, stored only as its SHA-256 hash,
in their own table and their own cookie (`__Host-gw_officer`), so a household session
never opens an officer page and an officer session never opens a household page.

Created at the officer login (`/fg/oidc/callback`) with the identity, organisation and
role the login checked against `config/privacy_officers.toml`; the role is re-checked
against the configuration at every request (`OfficerRegistry`), so an officer removed
from it loses access at once. A session ends `idle` after its last request (15 minutes)
and `absolute` after login (8 hours), or at logout.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from consent import begin_write
from gateway.storage.tables import officer_sessions

__all__ = [
    "OFFICER_COOKIE",
    "OFFICER_LOGIN_COOKIE",
    "OfficerSession",
    "OfficerSessionStore",
    "clear_officer_cookie",
    "set_officer_cookie",
]

OFFICER_COOKIE = "__Host-gw_officer"
OFFICER_LOGIN_COOKIE = "__Host-gw_officer_login"
DEFAULT_IDLE = timedelta(minutes=15)
DEFAULT_ABSOLUTE = timedelta(hours=8)
TOUCH_EVERY = timedelta(minutes=1)
MAX_TOKEN = 256


@dataclass(frozen=True, slots=True)
class OfficerSession:
    officer_id: str
    organisation: str
    role: str
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class OfficerSessionStore:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        idle: timedelta = DEFAULT_IDLE,
        absolute: timedelta = DEFAULT_ABSOLUTE,
        touch_every: timedelta = TOUCH_EVERY,
    ) -> None:
        self._engine = engine
        self.idle = idle
        self.absolute = absolute
        self._touch_every = min(touch_every, idle)

    async def create(
        self,
        officer_id: str,
        organisation: str,
        role: str,
        *,
        now: datetime | None = None,
        replaces: str | None = None,
        audit: Callable[[AsyncConnection], Awaitable[None]] | None = None,
    ) -> str:
        """A new session; returns its token (never stored in clear). `replaces`: the
        token the browser sent along, revoked in the same transaction (no fixation).
        `audit`: the login's entry, committed with the session or neither is."""
        token = secrets.token_urlsafe(32)
        created = (now or datetime.now(UTC)).astimezone(UTC)
        async with begin_write(self._engine) as conn:
            if replaces:
                await conn.execute(
                    delete(officer_sessions).where(
                        officer_sessions.c.token_hash == _hash(replaces[:MAX_TOKEN])
                    )
                )
            await conn.execute(
                insert(officer_sessions).values(
                    token_hash=_hash(token),
                    officer_id=officer_id,
                    organisation=organisation,
                    role=role,
                    created_at=created,
                    expires_at=created + self.absolute,
                    last_seen_at=created,
                )
            )
            if audit is not None:
                await audit(conn)
        return token

    async def resolve(self, token: str, *, now: datetime | None = None) -> OfficerSession | None:
        """The live session for `token`, or None; moves its last-seen time on."""
        if not token or len(token) > MAX_TOKEN:
            return None
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        key = _hash(token)
        table = officer_sessions
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
        return OfficerSession(
            row.officer_id, row.organisation, row.role, min(absolute_end, last_seen + self.idle)
        )

    async def revoke(self, token: str) -> None:
        if not token or len(token) > MAX_TOKEN:
            return
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(officer_sessions).where(officer_sessions.c.token_hash == _hash(token))
            )

    async def prune(self, now: datetime | None = None) -> int:
        moment = now or datetime.now(UTC)
        table = officer_sessions
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(table).where(
                    or_(table.c.expires_at <= moment, table.c.last_seen_at <= moment - self.idle)
                )
            )
        return int(result.rowcount or 0)


def set_officer_cookie(response: web.StreamResponse, token: str) -> None:
    """`__Host-` (Secure, Path=/, no Domain), HttpOnly, SameSite=Lax (the redirect back
    from the identity provider is a cross-site navigation)."""
    response.set_cookie(OFFICER_COOKIE, token, path="/", httponly=True, secure=True, samesite="Lax")


def clear_officer_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(OFFICER_COOKIE, path="/", secure=True, httponly=True, samesite="Lax")
