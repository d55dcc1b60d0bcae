"""Where a reference source finds the gateway's public keys, and how it checks a token.

`RemoteJwks` fetches the gateway's `/.well-known/jwks.json`, caches it and
refetches when a token names a key id it has not seen (the gateway rotated),
at most once per `min_refresh_seconds`. `StaticJwks` takes a JWKS dict (tests).
`verify_gateway_token` is the whole check a source does on every call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any, Protocol

import aiohttp
import jwt

__all__ = [
    "ALLOWED_ALGORITHMS",
    "MAX_TOKEN_LIFETIME",
    "JwksProvider",
    "RemoteJwks",
    "StaticJwks",
    "TokenRejectedError",
    "verify_gateway_token",
]

ALLOWED_ALGORITHMS = ("EdDSA", "ES256")
MAX_TOKEN_LIFETIME = 300  # seconds between iat and exp
LEEWAY = 10  # seconds of clock skew tolerated


class TokenRejectedError(Exception):
    """A token the source refuses; `code` goes into the 401 problem+json."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class JwksProvider(Protocol):
    """Gives the gateway's public key for a key id, or None if there is none."""

    async def key(self, kid: str) -> jwt.PyJWK | None: ...

    async def aclose(self) -> None: ...


def _parse_jwks(jwks: Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    keys: dict[str, jwt.PyJWK] = {}
    for jwk in jwks.get("keys", []):
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
            continue
        try:
            parsed = jwt.PyJWK(jwk)
        except (jwt.PyJWKError, jwt.InvalidKeyError):
            continue  # a key type this source cannot use is simply not offered
        if parsed.algorithm_name in ALLOWED_ALGORITHMS:
            keys[jwk["kid"]] = parsed
    return keys


class StaticJwks:
    """A fixed set of keys."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self._keys = _parse_jwks(jwks)

    async def key(self, kid: str) -> jwt.PyJWK | None:
        return self._keys.get(kid)

    async def aclose(self) -> None:
        return None


class RemoteJwks:
    """The gateway's JWKS over HTTP, cached, refreshed on an unknown key id."""

    def __init__(
        self,
        url: str,
        *,
        session: aiohttp.ClientSession | None = None,
        min_refresh_seconds: float = 5.0,
        timeout: float = 2.0,
    ) -> None:
        self.url = url
        self._session = session
        self._owns_session = session is None
        self._min_refresh = min_refresh_seconds
        self._timeout = timeout
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> jwt.PyJWK | None:
        if kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            recently = (
                self._fetched_at is not None
                and time.monotonic() - self._fetched_at < self._min_refresh
            )
            if kid not in self._keys and not recently:
                await self._refresh()
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        self._fetched_at = time.monotonic()
        try:
            async with self._session.get(
                self.url, timeout=aiohttp.ClientTimeout(total=self._timeout)
            ) as response:
                response.raise_for_status()
                document = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return  # keep the keys we had; an unknown kid stays unknown
        if isinstance(document, dict):
            self._keys = _parse_jwks(document)

    async def aclose(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None


async def verify_gateway_token(
    token: str, jwks: JwksProvider, *, audience: str, issuer: str
) -> dict[str, Any]:
    """The claims of a valid gateway token, or `TokenRejectedError` with a code."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as exc:
        raise TokenRejectedError("token_invalid", "malformed token") from exc
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALLOWED_ALGORITHMS:
        raise TokenRejectedError("token_invalid", "algorithm not allowed")
    if not isinstance(kid, str):
        raise TokenRejectedError("unknown_key", "token has no key id")
    key = await jwks.key(kid)
    if key is None:
        raise TokenRejectedError("unknown_key", "key id is not one of the gateway's keys")
    if key.algorithm_name != alg:
        raise TokenRejectedError("token_invalid", "algorithm does not match the key")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=[alg],
            audience=audience,
            issuer=issuer,
            leeway=LEEWAY,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenRejectedError("token_expired", "token has expired") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenRejectedError("token_invalid", f"token refused: {type(exc).__name__}") from exc
    lifetime = claims["exp"] - claims["iat"]
    if not isinstance(lifetime, int | float) or lifetime > MAX_TOKEN_LIFETIME:
        raise TokenRejectedError("token_invalid", "token lifetime exceeds five minutes")
    return claims
