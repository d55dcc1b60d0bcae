"""Household portal sessions: a random opaque token, stored only as its SHA-256 hash.

The portal's login (OIDC) creates a session with `HouseholdSessionStore.create`;
every `/api/v1/me` request resolves it from the `gw_session` cookie (HttpOnly,
SameSite=Strict, Secure behind TLS) or an `Authorization: Session <token>` header.
Sessions live in the database, so every gateway instance honours (and forgets) them.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aiohttp import web
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.errors import Unauthenticated
from gateway.settings import Settings
from gateway.storage.tables import household_sessions

__all__ = [
    "COOKIE_NAME",
    "HouseholdSession",
    "HouseholdSessionStore",
    "session_token",
    "set_session_cookie",
]

COOKIE_NAME = "gw_session"
DEFAULT_TTL = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class HouseholdSession:
    person: str  # pseudonym of the household member who logged in
    household_id: str
    expires_at: datetime
    # The member's BSN as the login gave it (None for a session created without one),
    # so the portal can ask the sources about them; never in a repr, log or table.
    bsn: str | None = field(default=None, repr=False)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class HouseholdSessionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(
        self,
        person: str,
        household_id: str,
        *,
        ttl: timedelta = DEFAULT_TTL,
        now: datetime | None = None,
        bsn: str | None = None,
    ) -> str:
        """A new session; returns the token (shown once, never stored in clear). `bsn`,
        the member's BSN from the login, is kept sealed with a key derived from the token."""
        token = secrets.token_urlsafe(32)
        created = (now or datetime.now(UTC)).astimezone(UTC)
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(household_sessions).values(
                    token_hash=_hash(token),
                    person=person,
                    household_id=household_id,
                    created_at=created,
                    expires_at=created + ttl,
                    bsn_sealed=None if bsn is None else _seal(token, bsn),
                )
            )
        return token

    async def resolve(self, token: str, *, now: datetime | None = None) -> HouseholdSession | None:
        """The live session for `token`, or None (unknown or expired)."""
        if not token or len(token) > 256:
            return None
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(household_sessions).where(
                        household_sessions.c.token_hash == _hash(token)
                    )
                )
            ).first()
        if row is None:
            return None
        expires = _aware(row.expires_at)
        if expires <= (now or datetime.now(UTC)):
            return None
        return HouseholdSession(
            row.person, row.household_id, expires, _unseal(token, row.bsn_sealed)
        )

    async def revoke(self, token: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(household_sessions).where(household_sessions.c.token_hash == _hash(token))
            )

    async def prune(self, now: datetime | None = None) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(household_sessions).where(
                    household_sessions.c.expires_at <= (now or datetime.now(UTC))
                )
            )
        return int(result.rowcount or 0)


def session_token(request: web.Request) -> str:
    """The token from `Authorization: Session <token>` or the `gw_session` cookie."""
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
    max_age: timedelta = DEFAULT_TTL,
) -> None:
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=int(max_age.total_seconds()),
        path="/",
        httponly=True,
        secure=settings.https,
        samesite="Strict",
    )
