"""The portal's OpenID Connect relying party: authorization code flow with PKCE (S256),
`state` and `nonce`, against the provider in the settings (`GATEWAY_OIDC_*`).

    start()   discovery → new state, nonce, code verifier (kept server-side, 10 min,
              single-use) → the provider's authorization URL and the browser's login id
    finish()  the login of this browser, taken once → `state` matches → the code is
              exchanged at the token endpoint (client secret, code verifier) → the ID
              token is verified (signature against the provider's JWKS, alg ES256,
              RS256 or EdDSA only; iss, aud, azp, exp, iat, nonce by Authlib's
              `CodeIDToken`) → the BSN claim, validated with the elfproef

Authlib builds the authorization URL, the token request and the PKCE challenge and
validates the ID token's claims; joserfc verifies its signature. HTTP to the provider
goes through the app's aiohttp client session with a timeout. Every refusal is a
`LoginRefused` with a stable code (`LOGIN_ERRORS`), shown to the browser as
`/login?error=<code>` and logged with that code only.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import aiohttp
import structlog
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jws, jwt
from joserfc.errors import ExpiredTokenError, InvalidClaimError, JoseError, MissingClaimError
from joserfc.jwk import KeySet

from gateway.auth.login_states import LoginState, LoginStateStore
from gateway.http.subjects import is_valid_bsn

__all__ = [
    "ID_TOKEN_ALGORITHMS",
    "LOGIN_ERRORS",
    "LoginRefused",
    "OidcConfig",
    "OidcRelyingParty",
    "validate_id_token",
]

log = structlog.get_logger("gateway.oidc")

#: Signature algorithms an ID token may use; never `none`, never HMAC.
ID_TOKEN_ALGORITHMS = ("ES256", "RS256", "EdDSA")
DISCOVERY_TTL = 3600.0
CLOCK_LEEWAY = 30

#: Every way a login can fail (the `error` of `/login?error=...`). Stable codes.
LOGIN_ERRORS: dict[str, str] = {
    "login_unavailable": "no identity provider is configured",
    "login_expired": "no login of this browser is waiting (cookie missing, too old, used)",
    "state_mismatch": "the callback's state is not this login's",
    "login_cancelled": "the person stopped at the identity provider",
    "provider_error": "the identity provider answered the login with an error",
    "provider_unavailable": "the identity provider could not be reached or answered wrongly",
    "code_refused": "the identity provider refused the code (used before, expired, wrong)",
    "id_token_invalid": "the ID token's signature, algorithm, issuer, audience or times",
    "nonce_mismatch": "the ID token was not issued for this login",
    "invalid_bsn": "the BSN claim is missing or fails the elfproef",
    "unknown_person": "the person is not a member of a household the gateway knows",
    "too_young": "children under the age of consent (12) are represented by their parents",
    "service_unavailable": "the gateway could not record the login (database or audit log)",
}


class LoginRefused(Exception):
    """A login that must not go on; `code` is one of `LOGIN_ERRORS` (no personal data)."""

    def __init__(self, code: str, *, after_state: bool = False) -> None:
        assert code in LOGIN_ERRORS, code
        super().__init__(code)
        self.code = code
        self.after_state = after_state  # this browser's own login got this far


@dataclass(frozen=True, slots=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    redirect_url: str
    bsn_claim: str = "bsn"
    timeout_seconds: float = 5.0


@dataclass(frozen=True, slots=True)
class _Provider:
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


class OidcRelyingParty:
    def __init__(
        self, config: OidcConfig, http: aiohttp.ClientSession, states: LoginStateStore
    ) -> None:
        self.config = config
        self._http = http
        self._states = states
        self._provider: tuple[float, _Provider] | None = None
        self._jwks: KeySet | None = None

    async def start(self, now: datetime | None = None) -> tuple[str, str]:
        """(the provider's authorization URL, the login id for this browser's cookie)."""
        provider = await self._discover()
        login = LoginState(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(48),  # 64 characters of [A-Za-z0-9_-]
            created_at=now or datetime.now(UTC),
        )
        login_id = await self._states.begin(login)
        url = prepare_grant_uri(
            provider.authorization_endpoint,
            client_id=self.config.client_id,
            response_type="code",
            redirect_uri=self.config.redirect_url,
            scope="openid",
            state=login.state,
            nonce=login.nonce,
            code_challenge=create_s256_code_challenge(login.code_verifier),
            code_challenge_method="S256",
        )
        return str(url), login_id

    async def finish(self, login_id: str, query: dict[str, str]) -> str:
        """The verified BSN of the person who logged in, or `LoginRefused`."""
        claims = await self.finish_claims(login_id, query)
        bsn = claims.get(self.config.bsn_claim)
        if not isinstance(bsn, str) or not is_valid_bsn(bsn):
            raise LoginRefused("invalid_bsn", after_state=True)
        return bsn

    async def finish_claims(self, login_id: str, query: dict[str, str]) -> dict[str, Any]:
        """The verified ID token claims of the login (the officer console checks its own
        claims against the configuration: `gateway.auth.officers`), or `LoginRefused`."""
        login = await self._states.take(login_id)
        if login is None:
            raise LoginRefused("login_expired")
        if not hmac.compare_digest(query.get("state", ""), login.state):
            raise LoginRefused("state_mismatch")
        if "error" in query:
            cancelled = query["error"] == "access_denied"
            raise LoginRefused(
                "login_cancelled" if cancelled else "provider_error", after_state=True
            )
        code = query.get("code", "")
        if not code or len(code) > 512:
            raise LoginRefused("code_refused", after_state=True)
        provider = await self._discover()
        id_token = await self._redeem(provider, code, login.code_verifier)
        return await self._verified(id_token, login.nonce)

    async def _redeem(self, provider: _Provider, code: str, verifier: str) -> str:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.config.redirect_url,
            "code_verifier": verifier,
        }
        # client_secret_basic: id and secret form-encoded before base64 (RFC 6749 2.3.1)
        pair = (
            f"{quote(self.config.client_id, safe='')}:{quote(self.config.client_secret, safe='')}"
        )
        headers = {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
        status, body = await self._call("POST", provider.token_endpoint, data=form, headers=headers)
        if status in (400, 401):
            raise LoginRefused("code_refused", after_state=True)
        id_token = body.get("id_token") if status == 200 else None
        if not isinstance(id_token, str):
            raise LoginRefused("provider_unavailable", after_state=True)
        return id_token

    async def _verified(self, id_token: str, nonce: str) -> dict[str, Any]:
        keys = await self._keys()
        if not _has_key(keys, id_token):
            self._jwks = None  # the provider may have rotated its key: read the JWKS again
            keys = await self._keys()
        return validate_id_token(id_token, keys, self.config, nonce)

    async def _discover(self) -> _Provider:
        if self._provider is not None and time.monotonic() - self._provider[0] < DISCOVERY_TTL:
            return self._provider[1]
        url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
        status, doc = await self._call("GET", url)
        try:
            if status != 200 or doc.get("issuer") != self.config.issuer:
                raise KeyError("issuer")
            provider = _Provider(
                _https_or_local(doc["authorization_endpoint"]),
                _https_or_local(doc["token_endpoint"]),
                _https_or_local(doc["jwks_uri"]),
            )
        except (KeyError, TypeError, ValueError):
            log.warning("oidc_discovery_unusable", status=status)
            raise LoginRefused("provider_unavailable") from None
        self._provider = (time.monotonic(), provider)
        return provider

    async def _keys(self) -> KeySet:
        if self._jwks is None:
            provider = await self._discover()
            status, doc = await self._call("GET", provider.jwks_uri)
            try:
                if status != 200:
                    raise ValueError("status")
                self._jwks = KeySet.import_key_set(doc)  # type: ignore[arg-type]  # checked
            except (JoseError, ValueError, TypeError, KeyError):
                raise LoginRefused("provider_unavailable", after_state=True) from None
        return self._jwks

    async def _call(self, method: str, url: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        timeout = aiohttp.ClientTimeout(total=self.config.timeout_seconds)
        try:
            async with self._http.request(method, url, timeout=timeout, **kwargs) as response:
                if response.status >= 500:
                    raise aiohttp.ClientResponseError(
                        response.request_info, (), status=response.status
                    )
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("oidc_provider_unavailable", error_type=type(exc).__name__)
            raise LoginRefused("provider_unavailable", after_state=True) from None
        if not isinstance(body, dict):
            raise LoginRefused("provider_unavailable", after_state=True)
        return response.status, body


def validate_id_token(
    id_token: str, keys: KeySet, config: OidcConfig, nonce: str, *, now: int | None = None
) -> dict[str, Any]:
    """The claims of `id_token` if its signature, algorithm and claims hold; else
    `LoginRefused` (`id_token_invalid`, or `nonce_mismatch` for another login's token)."""
    try:
        token = jwt.decode(id_token, keys, algorithms=list(ID_TOKEN_ALGORITHMS))
        claims = CodeIDToken(
            token.claims,
            token.header,
            options={
                "iss": {"essential": True, "value": config.issuer},
                "aud": {"essential": True, "value": config.client_id},
                "nonce": {"essential": True},
            },
            params={"nonce": nonce, "client_id": config.client_id},
        )
        claims.validate(now=now if now is not None else int(time.time()), leeway=CLOCK_LEEWAY)
    except (InvalidClaimError, MissingClaimError) as exc:
        if getattr(exc, "claim", None) == "nonce":
            raise LoginRefused("nonce_mismatch", after_state=True) from None
        raise LoginRefused("id_token_invalid", after_state=True) from None
    except (ExpiredTokenError, JoseError, ValueError, TypeError):
        raise LoginRefused("id_token_invalid", after_state=True) from None
    return dict(claims)


def _has_key(keys: KeySet, id_token: str) -> bool:
    """Whether the token's `kid` is one of `keys` (an unreadable token: let it fail later)."""
    try:
        kid = jws.extract_compact(id_token.encode()).headers().get("kid")
    except (JoseError, ValueError, TypeError):
        return True
    return kid is None or any(key.kid == kid for key in keys.keys)


def _https_or_local(url: Any) -> str:
    """Provider endpoints: https, or http only on the loopback (the demo's provider)."""
    text = str(url)
    if text.startswith("https://") or text.startswith(("http://127.0.0.1:", "http://localhost:")):
        return text
    raise ValueError("endpoint must be https")
