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

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway.auth.session_store import TOUCH_EVERY, SessionStore
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


@dataclass(frozen=True, slots=True)
class OfficerSession:
    officer_id: str
    organisation: str
    role: str
    expires_at: datetime


class OfficerSessionStore(SessionStore):
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        idle: timedelta = DEFAULT_IDLE,
        absolute: timedelta = DEFAULT_ABSOLUTE,
        touch_every: timedelta = TOUCH_EVERY,
    ) -> None:
        super().__init__(
            engine, officer_sessions, idle=idle, absolute=absolute, touch_every=touch_every
        )

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
        columns = {"officer_id": officer_id, "organisation": organisation, "role": role}
        return await self._insert(lambda _: columns, now=now, replaces=replaces, audit=audit)

    async def resolve(self, token: str, *, now: datetime | None = None) -> OfficerSession | None:
        """The live session for `token`, or None; moves its last-seen time on."""
        live = await self._live(token, now)
        if live is None:
            return None
        row, expires_at = live
        return OfficerSession(row.officer_id, row.organisation, row.role, expires_at)


def set_officer_cookie(response: web.StreamResponse, token: str) -> None:
    """`__Host-` (Secure, Path=/, no Domain), HttpOnly, SameSite=Lax (the redirect back
    from the identity provider is a cross-site navigation)."""
    response.set_cookie(OFFICER_COOKIE, token, path="/", httponly=True, secure=True, samesite="Lax")


def clear_officer_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(OFFICER_COOKIE, path="/", secure=True, httponly=True, samesite="Lax")
