"""Authenticating organisation systems: a signed JWT per call, exactly as the contract says.

Checks, in order: a bearer token; an allowed asymmetric `alg` (ES256, EdDSA,
RS256); `iss` a registered organisation; `kid` one of its keys (configured, or from its
`jwks_uri`, `gateway/auth/jwks_remote.py`: an unknown `kid` triggers at most one
rate-limited refetch, then the token is looked at once more); signature;
`aud` this gateway; `exp`, `iat`, `nbf` with a small leeway; a lifetime of at
most five minutes; `sub` and `role` codes in the audit log's grammar (so whatever
passes here can be audited: no spaces, no leading `=`/`+`/`-`/`@`, ASCII only, at
most 128 characters); with mutual TLS, a client certificate the issuer pinned
(`gateway/auth/tls.py`); a role the organisation may assert (its type's roles from the
vocabulary, `regional_privacy_officer` only for a configured privacy office; a
refusal is audited as `auth.role_refused`); and `jti` never seen before, held in the
database so every gateway instance refuses a replay. Nothing is written before the
last check but the audit entry of a role refusal.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from aiohttp import web
from sqlalchemy import Connection, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.appkeys import AUDIT, REQUEST_ID, TRACE_ID
from gateway.audit.model import AuditEvent, is_code
from gateway.auth.jwks_remote import RemoteJwks
from gateway.auth.organisations import ALLOWED_ALGORITHMS, Organisation, OrganisationRegistry
from gateway.auth.principal import Principal
from gateway.auth.tls import client_certificate_sha256
from gateway.errors import (
    ClientCertificateMismatch,
    RoleNotAllowed,
    ServiceUnavailable,
    TokenExpired,
    TokenInvalid,
    TokenMissing,
    TokenReplayed,
    UnknownIssuer,
    UnknownKey,
    naming_valid_values,
)
from gateway.storage.db import sqlite_time, write_runner
from gateway.storage.group_commit import GroupCommit
from gateway.storage.tables import replay_cache

__all__ = ["OrganisationAuthenticator", "Principal", "RoleRefusalLog", "bearer_token"]

_REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat", "jti"]
#: `sub` and `role` are stored in columns of 128 characters (consent, households).
MAX_CLAIM = 128
_CLAIM_GRAMMAR = (
    f"1 to {MAX_CLAIM} characters: ASCII letters, digits and ._:/+=@-, "
    "starting with a letter or digit"
)
#: Records a refused role (organisation, professional, role) before the refusal answers.
RoleRefusalLog = Callable[[Organisation, str, str], Awaitable[None]]
_MAX_REPLAY_BATCH = 500
# PostgreSQL: the whole batch in one statement and one round trip (arrays, unnested).
_PG_INSERT_NEW = (
    "INSERT INTO replay_cache (issuer, jti, expires_at) "
    "SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::timestamptz[]) "
    "ON CONFLICT DO NOTHING RETURNING issuer, jti"
)


@functools.lru_cache(maxsize=64)
def _sqlite_insert_new(rows: int) -> str:
    """SQLite: a batch of `rows` token ids in one statement (multi-row VALUES)."""
    values = ", ".join(["(?, ?, ?)"] * rows)
    return (
        f"INSERT INTO replay_cache (issuer, jti, expires_at) VALUES {values} "  # noqa: S608 (no input)
        "ON CONFLICT DO NOTHING RETURNING issuer, jti"
    )


# `sub` and `jti` are checked after the decode, with the audit log's grammar.
_DECODE_OPTIONS: Any = {
    "require": _REQUIRED_CLAIMS,
    "verify_iat": True,
    "verify_sub": False,
    "verify_jti": False,
}


@functools.lru_cache(maxsize=256)
def _header_of(segment: str) -> tuple[str, str] | None:
    """(`alg`, `kid`) of a token's header segment if both are ones a key could match;
    None otherwise. Only picks the key to try: nothing here is trusted. The organisations'
    tokens share a few headers, so this parses each of them once."""
    try:
        header = jwt.get_unverified_header(f"{segment}..")
    except jwt.PyJWTError:
        return None
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALLOWED_ALGORITHMS or not isinstance(kid, str):
        return None
    return alg, kid


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise TokenMissing("Send Authorization: Bearer <JWT>")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenMissing("Send Authorization: Bearer <JWT>")
    return token.strip()


class OrganisationAuthenticator:
    def __init__(
        self,
        registry: OrganisationRegistry,
        engine: AsyncEngine,
        *,
        audience: str,
        leeway_seconds: int = 10,
        max_lifetime_seconds: int = 300,
        require_client_certificate: bool = False,
        remote_keys: RemoteJwks | None = None,
    ) -> None:
        self._registry = registry
        self._remote = remote_keys
        self._engine = engine
        self._audience = audience
        self._leeway = leeway_seconds
        self._max_lifetime = max_lifetime_seconds
        self._require_client_certificate = require_client_certificate
        dialect_insert = sqlite_insert if engine.dialect.name == "sqlite" else pg_insert
        self._insert = (
            dialect_insert(replay_cache)
            .on_conflict_do_nothing()
            .returning(replay_cache.c.issuer, replay_cache.c.jti)
        )
        # Concurrent requests share one INSERT per batch instead of a transaction each.
        self._seen: GroupCommit[tuple[str, str, datetime], bool] = GroupCommit(
            self._remember_batch,
            failure=lambda _exc: ServiceUnavailable("Database unavailable; no data released"),
            name="replay_check",
            max_batch=_MAX_REPLAY_BATCH,
        )

    @property
    def replay_commit(self) -> GroupCommit[tuple[str, str, datetime], bool]:
        """The replay check's group commit (for its metrics observer)."""
        return self._seen

    async def authenticate_request(self, request: web.Request) -> Principal:
        """`authenticate` with the request's bearer token and client certificate."""

        async def audit_refusal(org: Organisation, professional: str, role: str) -> None:
            event = AuditEvent(
                event_type="auth.role_refused",
                request_id=request[REQUEST_ID],
                trace_id=request.get(TRACE_ID),
                requester_org=org.id,
                professional=professional,
                role=role,
                decision="deny",
                reason=RoleNotAllowed.code,
            )
            await request.app[AUDIT].append([event])  # AuditUnavailable (503) if it fails

        return await self.authenticate(
            request.headers.get("Authorization"),
            client_certificate_sha256(request),
            refusals=audit_refusal,
        )

    async def authenticate(
        self,
        authorization: str | None,
        client_certificate: str | None = None,
        *,
        refusals: RoleRefusalLog | None = None,
    ) -> Principal:
        """Who is calling; raises an `Unauthenticated` error with a precise code.

        With mutual TLS the connection's certificate (`client_certificate`, its
        SHA-256) must be one the token's issuer pinned; then the role must be one the
        organisation may assert (else 403 `role_not_allowed`, recorded through
        `refusals` first). Both are checked before the token id is recorded, so a
        refused request uses up nothing.
        """
        token = bearer_token(authorization)
        try:
            claims, org = self.verify(token)
        except UnknownKey:
            # Perhaps just rotated at its jwks_uri: one rate-limited refetch, one more look.
            known = self._issuer(token)
            if known is None or self._remote is None:
                raise
            if not await self._remote.refresh_for_unknown_kid(known):
                raise
            claims, org = self.verify(token)
        if self._require_client_certificate and (
            client_certificate is None or client_certificate not in org.client_cert_sha256
        ):
            raise ClientCertificateMismatch(
                "The connection's client certificate is not one the token's issuer registered"
            )
        subject, role = str(claims["sub"]), str(claims["role"])
        if role not in org.roles:
            if refusals is not None:
                await refusals(org, subject, role)
            # Refused at the edge, before anything is decided: a typo names the valid
            # roles (the organisation's own, which it may know), never another type's.
            allowed = ", ".join(sorted(org.roles)) or "none"
            raise naming_valid_values(
                RoleNotAllowed,
                f"Role `{role}` is not one organisation {org.id} may assert (allowed: {allowed})",
                org.roles,
                member="valid_roles",
            )
        await self._remember_jti(org.id, str(claims["jti"]), int(claims["exp"]))
        return Principal(org, subject, role, str(claims["jti"]))

    def verify(
        self, token: str, *, now: datetime | None = None
    ) -> tuple[dict[str, Any], Organisation]:
        """Every check but the replay check (which needs the database)."""
        current = now or datetime.now(UTC)
        verified = self._verify_by_kid(token, current)
        if verified is not None:
            return verified
        return self._verify_by_issuer(token, current)

    def _verify_by_kid(
        self, token: str, current: datetime
    ) -> tuple[dict[str, Any], Organisation] | None:
        """The usual token in one parse: its header's `kid` names exactly one
        organisation's configured key, and the one verifying decode checks the signature
        with that key and `iss` equal to that organisation. So a token passes here only
        if `_verify_by_issuer` would pass it too, with the same organisation and key.
        None for anything else (a kid no or several organisations hold, any failed
        check): `_verify_by_issuer` then decides, with its precise error. This saves
        the unverified parse of the whole token, a quarter of the verification."""
        header = _header_of(token.partition(".")[0])
        if header is None:
            return None
        alg, kid = header
        owner = self._registry.key_owner(kid)
        if owner is None:
            return None
        org, key = owner
        if key.algorithm_name != alg:
            return None
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=self._audience,
                issuer=org.id,
                leeway=self._leeway,
                options=_DECODE_OPTIONS,
            )
        except jwt.PyJWTError:
            return None
        return self._checked(claims, current), org

    def _verify_by_issuer(
        self, token: str, current: datetime
    ) -> tuple[dict[str, Any], Organisation]:
        """The key by the unverified `iss` and `kid`, each failure with its own code."""
        try:
            # One unverified parse gives both the header and the claims that pick the
            # key (`iss`, `kid`); nothing from it is trusted before the signature check.
            parsed = jwt.decode_complete(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise TokenInvalid("Token is not a well-formed JWT") from None
        header, unverified = parsed["header"], parsed["payload"]
        if not isinstance(header, dict) or not isinstance(unverified, dict):
            raise TokenInvalid("Token is not a well-formed JWT")
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise TokenInvalid("Token algorithm is not allowed (use ES256, EdDSA or RS256)")
        issuer = unverified.get("iss")
        org = self._registry.get(issuer) if isinstance(issuer, str) else None
        if org is None:
            raise UnknownIssuer("Token issuer is not a registered organisation")
        kid = header.get("kid")
        key = org.keys.get(kid) if isinstance(kid, str) else None
        if key is None and isinstance(kid, str) and org.jwks_uri and self._remote is not None:
            key = self._remote.get(org.id, kid)
        if key is None:
            raise UnknownKey("Token `kid` is not one of the issuer's registered keys")
        if key.algorithm_name != alg:
            raise TokenInvalid("Token algorithm does not match the registered key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=self._audience,
                issuer=org.id,
                leeway=self._leeway,
                options=_DECODE_OPTIONS,
            )
        except jwt.ExpiredSignatureError:
            raise TokenExpired("Token has expired") from None
        except jwt.ImmatureSignatureError:
            raise TokenInvalid("Token is not valid yet (iat or nbf in the future)") from None
        except jwt.InvalidAudienceError:
            raise TokenInvalid("Token audience is not this gateway") from None
        except jwt.MissingRequiredClaimError as exc:
            raise TokenInvalid(f"Token lacks the `{exc.claim}` claim") from None
        except jwt.PyJWTError:
            raise TokenInvalid("Token signature or claims are not valid") from None
        return self._checked(claims, current), org

    def _checked(self, claims: dict[str, Any], current: datetime) -> dict[str, Any]:
        """The checks after the signature: times, lifetime, `jti`, `sub` and `role`."""
        iat, exp = claims["iat"], claims["exp"]
        if not isinstance(iat, int | float) or not isinstance(exp, int | float):
            raise TokenInvalid("Token iat and exp must be numbers")
        if iat > current.timestamp() + self._leeway:
            raise TokenInvalid("Token is not valid yet (iat in the future)")
        if exp - iat > self._max_lifetime:
            raise TokenInvalid(f"Token lifetime exceeds {self._max_lifetime} seconds")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti or len(jti) > MAX_CLAIM:
            raise TokenInvalid(f"Token `jti` must be a string of 1 to {MAX_CLAIM} characters")
        for name in ("sub", "role"):
            # The audit log's own grammar: whatever passes here, the log accepts.
            if not is_code(claims.get(name), max_length=MAX_CLAIM):
                raise TokenInvalid(f"Token `{name}` must be {_CLAIM_GRAMMAR}")
        return claims

    def _issuer(self, token: str) -> Organisation | None:
        """The registered organisation a token names as `iss` (nothing verified yet)."""
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return None
        issuer = unverified.get("iss") if isinstance(unverified, dict) else None
        org = self._registry.get(issuer) if isinstance(issuer, str) else None
        return org if org is not None and org.jwks_uri else None

    async def _remember_jti(self, issuer: str, jti: str, exp: int) -> None:
        expires = datetime.fromtimestamp(exp, UTC) + timedelta(seconds=self._leeway)
        if not await self._seen.submit((issuer, jti, expires)):
            raise TokenReplayed("This token (jti) was already used")

    async def _remember_batch(self, batch: Sequence[tuple[str, str, datetime]]) -> list[bool]:
        """Record a batch of token ids in one transaction; True for each one seen first.

        `INSERT ... ON CONFLICT DO NOTHING RETURNING` reports the rows it inserted, so
        a token id already in the table (from any instance) comes back as a replay; a
        token id twice in one batch counts for its first caller only.
        """
        first: dict[tuple[str, str], int] = {}
        rows: list[dict[str, Any]] = []
        for index, (issuer, jti, expires) in enumerate(batch):
            if (issuer, jti) not in first:
                first[(issuer, jti)] = index
                rows.append({"issuer": issuer, "jti": jti, "expires_at": expires})

        def insert_new(conn: Connection) -> set[tuple[str, str]]:
            return {(row.issuer, row.jti) for row in conn.execute(self._insert, rows)}

        def insert_new_sqlite(raw: sqlite3.Connection) -> set[tuple[str, str]]:
            values = [
                v for r in rows for v in (r["issuer"], r["jti"], sqlite_time(r["expires_at"]))
            ]
            return set(raw.execute(_sqlite_insert_new(len(rows)), values).fetchall())

        async def insert_new_asyncpg(driver: Any) -> set[tuple[str, str]]:
            found = await driver.fetch(
                _PG_INSERT_NEW,
                [r["issuer"] for r in rows],
                [r["jti"] for r in rows],
                [r["expires_at"] for r in rows],
            )
            return {(str(r["issuer"]), str(r["jti"])) for r in found}

        # On asyncpg the one statement commits by itself: no BEGIN/COMMIT round trips.
        inserted = await write_runner(self._engine).run(
            insert_new,
            on_asyncpg=insert_new_asyncpg,
            on_sqlite=insert_new_sqlite,
            asyncpg_transaction=False,
        )
        return [
            first[(issuer, jti)] == index and (issuer, jti) in inserted
            for index, (issuer, jti, _expires) in enumerate(batch)
        ]

    async def prune(self, now: datetime | None = None) -> int:
        """Forget token ids whose tokens have expired anyway."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(replay_cache).where(replay_cache.c.expires_at < (now or datetime.now(UTC)))
            )
        return int(result.rowcount or 0)
