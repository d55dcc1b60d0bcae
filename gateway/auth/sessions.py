"""Household portal sessions: a random opaque token, stored only as its SHA-256 hash.

The portal's login (`gateway.auth.oidc`, `/oidc/callback`) creates a session with
`HouseholdSessionStore.create`, replacing any session the browser still held (no
fixation); every `/api/v1/me` request and every portal page resolves it from the
`__Host-gw_session` cookie (Secure, HttpOnly, SameSite=Lax, Path=/, no Domain) or an
`Authorization: Session <token>` header (API clients).

A session ends `idle` after its last request (15 minutes by default) and `absolute`
after login (12 hours), whichever comes first, or at logout (`revoke`). Resolving
moves the last-seen time on, written at most once per `touch_every` (a minute), so a
page that makes several calls costs one write. Sessions live in the database, so every
gateway instance honours (and forgets) them.

Why the cookie is always `Secure`: the `__Host-` prefix requires it, and browsers
treat http://127.0.0.1 and http://localhost as secure origins (Chromium accepts and
sends the cookie there, checked by the browser tests), so the demo works without TLS
and no deployment can send the cookie in clear to a remote host.
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
from gateway.errors import Unauthenticated
from gateway.settings import Settings
from gateway.storage.tables import household_sessions

__all__ = [
    "COOKIE_NAME",
    "DEFAULT_ABSOLUTE",
    "DEFAULT_IDLE",
    "HouseholdSession",
    "HouseholdSessionStore",
    "clear_session_cookie",
    "session_token",
    "set_session_cookie",
]

COOKIE_NAME = "__Host-gw_session"
DEFAULT_IDLE = timedelta(minutes=15)
DEFAULT_ABSOLUTE = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)
MAX_TOKEN = 256


@dataclass(frozen=True, slots=True)
class HouseholdSession:
    person: str  # pseudonym of the household member who logged in
    household_id: str
    expires_at: datetime  # when it ends unless used again (idle), at most the absolute end


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class HouseholdSessionStore:
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
        person: str,
        household_id: str,
        *,
        ttl: timedelta | None = None,
        now: datetime | None = None,
        replaces: str | None = None,
        audit: Callable[[AsyncConnection], Awaitable[None]] | None = None,
    ) -> str:
        """A new session (absolute lifetime `ttl`, default the store's); returns the token
        (shown once, never stored in clear). `replaces`: a token the browser sent along,
        revoked in the same transaction (a login never keeps a session id it was given).
        `audit` (`AuditLog.within`): the login's entry, committed with the session or
        neither is."""
        token = secrets.token_urlsafe(32)
        created = (now or datetime.now(UTC)).astimezone(UTC)
        async with begin_write(self._engine) as conn:
            if replaces:
                await conn.execute(
                    delete(household_sessions).where(
                        household_sessions.c.token_hash == _hash(replaces[:MAX_TOKEN])
                    )
                )
            await conn.execute(
                insert(household_sessions).values(
                    token_hash=_hash(token),
                    person=person,
                    household_id=household_id,
                    created_at=created,
                    expires_at=created + (ttl if ttl is not None else self.absolute),
                    last_seen_at=created,
                )
            )
            if audit is not None:
                await audit(conn)
        return token

    async def resolve(self, token: str, *, now: datetime | None = None) -> HouseholdSession | None:
        """The live session for `token`, or None (unknown, idle too long, or past its end).
        Moves its last-seen time on (at most one write per `touch_every`)."""
        if not token or len(token) > MAX_TOKEN:
            return None
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        key = _hash(token)
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(household_sessions).where(household_sessions.c.token_hash == key)
                )
            ).first()
        if row is None:
            return None
        absolute_end = _aware(row.expires_at)
        last_seen = _aware(row.last_seen_at)
        if absolute_end <= moment or last_seen + self.idle <= moment:
            return None
        if moment - last_seen >= self._touch_every:
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(household_sessions)
                    .where(
                        household_sessions.c.token_hash == key,
                        household_sessions.c.last_seen_at < moment,
                    )
                    .values(last_seen_at=moment)
                )
            last_seen = moment
        return HouseholdSession(
            row.person, row.household_id, min(absolute_end, last_seen + self.idle)
        )

    async def revoke(self, token: str) -> None:
        """End the session of `token` (logout); unknown tokens are ignored."""
        if not token or len(token) > MAX_TOKEN:
            return
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(household_sessions).where(household_sessions.c.token_hash == _hash(token))
            )

    async def prune(self, now: datetime | None = None) -> int:
        """Forget every session past its end or idle too long; returns how many."""
        moment = now or datetime.now(UTC)
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(household_sessions).where(
                    or_(
                        household_sessions.c.expires_at <= moment,
                        household_sessions.c.last_seen_at <= moment - self.idle,
                    )
                )
            )
        return int(result.rowcount or 0)


def session_token(request: web.Request) -> str:
    """The token from `Authorization: Session <token>` or the session cookie."""
    authorization = request.headers.get("Authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "session" and value.strip():
        return value.strip()
    cookie = request.cookies.get(COOKIE_NAME, "")
    if cookie:
        return cookie
    raise Unauthenticated("A household session is required (log in to the portal)")


def set_session_cookie(
    response: web.StreamResponse,
    token: str,
    settings: Settings,
    *,
    max_age: timedelta | None = None,
) -> None:
    """The session cookie: `__Host-` (Secure, Path=/, no Domain), HttpOnly, SameSite=Lax
    (Lax, not Strict: the redirect back from the identity provider is a cross-site
    navigation, and the first page after it must carry the session). Without `max_age`
    it is a browser-session cookie; the server's idle and absolute limits hold anyway.
    `settings` is kept for callers (the cookie no longer depends on it)."""
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=int(max_age.total_seconds()) if max_age is not None else None,
        path="/",
        httponly=True,
        secure=True,
        samesite="Lax",
    )


def clear_session_cookie(response: web.StreamResponse) -> None:
    """Tell the browser to drop the session cookie (logout; with the attributes a
    `__Host-` cookie needs, or the browser ignores the deletion)."""
    response.del_cookie(COOKIE_NAME, path="/", secure=True, httponly=True, samesite="Lax")
