"""OIDC logins in progress: state, nonce and PKCE verifier, kept server-side.

`LoginStateStore.begin` keeps them under the SHA-256 hash of a random id that goes
to the browser in the `__Host-gw_login` cookie; `take` returns them once (the row is
deleted in the same transaction) and only within `lifetime` (10 minutes). So a
callback without the cookie, a second callback for the same login, or a callback
from another browser finds nothing. Shared by every instance through the database.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from consent import begin_write
from gateway.storage.tables import login_states

__all__ = [
    "LOGIN_COOKIE",
    "LOGIN_LIFETIME",
    "LoginState",
    "LoginStateStore",
    "clear_login_cookie",
    "set_login_cookie",
]

LOGIN_COOKIE = "__Host-gw_login"
LOGIN_LIFETIME = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class LoginState:
    state: str
    nonce: str
    code_verifier: str
    created_at: datetime


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class LoginStateStore:
    def __init__(self, engine: AsyncEngine, *, lifetime: timedelta = LOGIN_LIFETIME) -> None:
        self._engine = engine
        self.lifetime = lifetime

    async def begin(self, state: LoginState) -> str:
        """Keep `state`; returns the browser's login id (for the cookie, never stored)."""
        login_id = secrets.token_urlsafe(32)
        created = state.created_at.astimezone(UTC)
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(login_states).values(
                    id_hash=_hash(login_id),
                    state=state.state,
                    nonce=state.nonce,
                    code_verifier=state.code_verifier,
                    created_at=created,
                    expires_at=created + self.lifetime,
                )
            )
        return login_id

    async def take(self, login_id: str, *, now: datetime | None = None) -> LoginState | None:
        """The login of `login_id`, once: deleted as it is read; None if unknown or stale."""
        if not login_id or len(login_id) > 128:
            return None
        key = _hash(login_id)
        async with begin_write(self._engine) as conn:
            row = (
                await conn.execute(select(login_states).where(login_states.c.id_hash == key))
            ).first()
            if row is None:
                return None
            gone = await conn.execute(delete(login_states).where(login_states.c.id_hash == key))
            if gone.rowcount != 1:  # another request took it first
                return None
        if _aware(row.expires_at) <= (now or datetime.now(UTC)):
            return None
        return LoginState(row.state, row.nonce, row.code_verifier, _aware(row.created_at))

    async def prune(self, now: datetime | None = None) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(login_states).where(login_states.c.expires_at <= (now or datetime.now(UTC)))
            )
        return int(result.rowcount or 0)


def set_login_cookie(response: web.StreamResponse, login_id: str, name: str = LOGIN_COOKIE) -> None:
    """SameSite=Lax: the provider's redirect back is a top-level GET from another site.
    `name`: the officer console's login keeps its own cookie."""
    response.set_cookie(
        name,
        login_id,
        max_age=int(LOGIN_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        secure=True,
        samesite="Lax",
    )


def clear_login_cookie(response: web.StreamResponse, name: str = LOGIN_COOKIE) -> None:
    response.del_cookie(name, path="/", secure=True, httponly=True, samesite="Lax")
