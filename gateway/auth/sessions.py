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

import base64
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiohttp import web
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway.auth.session_store import TOUCH_EVERY, SessionStore
from gateway.auth.session_store import token_hash as _hash
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


@dataclass(frozen=True, slots=True)
class HouseholdSession:
    person: str  # pseudonym of the household member who logged in
    household_id: str
    expires_at: datetime  # when it ends unless used again (idle), at most the absolute end
    # The member's BSN as the login gave it (None for a session created without one),
    # so the portal can ask the sources about them; never in a repr, log or table.
    bsn: str | None = field(default=None, repr=False)


def _bsn_key(token: str) -> bytes:
    """The key that seals a session's BSN: derived from the token, which is never stored."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"gw-session-bsn")
    return hkdf.derive(token.encode())


def _seal(token: str, bsn: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_bsn_key(token)).encrypt(nonce, bsn.encode(), _hash(token).encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def _unseal(token: str, sealed: str | None) -> str | None:
    if not sealed:
        return None
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        plain = AESGCM(_bsn_key(token)).decrypt(raw[:12], raw[12:], _hash(token).encode())
    except (InvalidTag, ValueError):
        return None
    return plain.decode()


class HouseholdSessionStore(SessionStore):
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        idle: timedelta = DEFAULT_IDLE,
        absolute: timedelta = DEFAULT_ABSOLUTE,
        touch_every: timedelta = TOUCH_EVERY,
    ) -> None:
        super().__init__(
            engine, household_sessions, idle=idle, absolute=absolute, touch_every=touch_every
        )

    async def create(
        self,
        person: str,
        household_id: str,
        *,
        ttl: timedelta | None = None,
        now: datetime | None = None,
        replaces: str | None = None,
        audit: Callable[[AsyncConnection], Awaitable[None]] | None = None,
        bsn: str | None = None,
    ) -> str:
        """A new session (absolute lifetime `ttl`, default the store's); returns the token
        (shown once, never stored in clear). `replaces`: a token the browser sent along,
        revoked in the same transaction (a login never keeps a session id it was given).
        `audit` (`AuditLog.within`): the login's entry, committed with the session or
        neither is. `bsn`, the member's BSN from the login, is kept sealed (AES-GCM) with
        a key derived from the token, so only a request holding the token can read it
        (the portal asks the sources about the member by it)."""

        def columns(token: str) -> dict[str, str | None]:
            sealed = None if bsn is None else _seal(token, bsn)
            return {"person": person, "household_id": household_id, "bsn_sealed": sealed}

        return await self._insert(columns, ttl=ttl, now=now, replaces=replaces, audit=audit)

    async def resolve(self, token: str, *, now: datetime | None = None) -> HouseholdSession | None:
        """The live session for `token`, or None (unknown, idle too long, or past its end).
        Moves its last-seen time on (at most one write per `touch_every`)."""
        live = await self._live(token, now)
        if live is None:
            return None
        row, expires_at = live
        return HouseholdSession(
            row.person, row.household_id, expires_at, _unseal(token, row.bsn_sealed)
        )


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
