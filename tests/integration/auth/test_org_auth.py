"""Organisation authentication against a real database (replay cache), every attack a test."""

from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.auth.keys import jwk_thumbprint
from gateway.auth.organisation_tokens import OrganisationAuthenticator
from gateway.auth.organisations import Organisation, OrganisationRegistry, public_key
from gateway.errors import (
    GatewayError,
    RoleNotAllowed,
    TokenExpired,
    TokenInvalid,
    TokenMissing,
    TokenReplayed,
    UnknownIssuer,
    UnknownKey,
)
from gateway.storage.db import create_engine
from gateway.storage.tables import replay_cache

AUD = "jeugd-gateway-test"
ROLES = frozenset({"hulpverlener", "privacy_officer"})  # what org-a's tokens may assert


class Signer:
    def __init__(self, alg: str) -> None:
        self.alg = alg
        if alg == "ES256":
            self.key: Any = ec.generate_private_key(ec.SECP256R1())
            jwk = ECAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        elif alg == "EdDSA":
            self.key = ed25519.Ed25519PrivateKey.generate()
            jwk = OKPAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        else:
            self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        self.jwk = dict(jwk)
        self.kid = jwk_thumbprint(self.jwk)
        self.jwk["kid"] = self.kid

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": "org-a",
            "sub": "prof-1",
            "aud": AUD,
            "iat": now,
            "exp": now + 60,
            "jti": secrets.token_hex(8),
            "role": "hulpverlener",
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, headers: dict[str, Any] | None = None, **overrides: Any) -> str:
        return jwt.encode(
            self.claims(**overrides),
            self.key,
            algorithm=self.alg,
            headers={"kid": self.kid, **(headers or {})},
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def signers() -> dict[str, Signer]:
    return {alg: Signer(alg) for alg in ("ES256", "EdDSA", "RS256")}


@pytest.fixture
def auth(signers: dict[str, Signer], engine: AsyncEngine) -> OrganisationAuthenticator:
    keys = {s.kid: public_key(s.jwk, "test") for s in signers.values()}
    org = Organisation("org-a", "wijkteam", "Org A", "utrecht", keys, roles=ROLES)
    return OrganisationAuthenticator(OrganisationRegistry([org]), engine, audience=AUD)


async def assert_refused(
    auth: OrganisationAuthenticator, header: str | None, error: type[GatewayError]
) -> None:
    with pytest.raises(error) as info:
        await auth.authenticate(header)
    assert type(info.value) is error


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "RS256"])
async def test_valid_token_of_each_allowed_algorithm(
    auth: OrganisationAuthenticator, signers: dict[str, Signer], alg: str
) -> None:
    principal = await auth.authenticate(f"Bearer {signers[alg].token()}")
    assert principal.organisation.id == "org-a"
    assert principal.role == "hulpverlener" and principal.subject == "prof-1"


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer ", "Bearer"])
async def test_missing_token(auth: OrganisationAuthenticator, header: str | None) -> None:
    await assert_refused(auth, header, TokenMissing)


async def test_malformed_token(auth: OrganisationAuthenticator) -> None:
    await assert_refused(auth, "Bearer not.a.jwt", TokenInvalid)


async def test_alg_none_is_refused(
    auth: OrganisationAuthenticator, signers: dict[str, Signer]
) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": signers["ES256"].kid}
    body = signers["ES256"].claims()
    token = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(body).encode())}."
    await assert_refused(auth, f"Bearer {token}", TokenInvalid)


async def test_hs256_signed_with_public_key_is_refused(
    auth: OrganisationAuthenticator, signers: dict[str, Signer]
) -> None:
    signer = signers["RS256"]
    public_pem = signer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": signer.kid}
    signing_input = (
        f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(signer.claims()).encode())}"
    )
    import hashlib
    import hmac

    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    await assert_refused(auth, f"Bearer {signing_input}.{_b64(signature)}", TokenInvalid)


async def test_forged_signature_is_refused(
    auth: OrganisationAuthenticator, signers: dict[str, Signer]
) -> None:
    impostor = Signer("ES256")
    impostor.kid = signers["ES256"].kid  # claims to be the registered key
    await assert_refused(auth, f"Bearer {impostor.token()}", TokenInvalid)


async def test_tampered_claims_are_refused(
    auth: OrganisationAuthenticator, signers: dict[str, Signer]
) -> None:
    head, body, sig = signers["EdDSA"].token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["role"] = "privacy_officer"
    forged = f"{head}.{_b64(json.dumps(claims).encode())}.{sig}"
    await assert_refused(auth, f"Bearer {forged}", TokenInvalid)


async def test_expired(auth: OrganisationAuthenticator, signers: dict[str, Signer]) -> None:
    now = int(time.time())
    token = signers["ES256"].token(iat=now - 200, exp=now - 100)
    await assert_refused(auth, f"Bearer {token}", TokenExpired)


async def test_iat_in_the_future(
    auth: OrganisationAuthenticator, signers: dict[str, Signer]
) -> None:
    now = int(time.time())
    token = signers["ES256"].token(iat=now + 120, exp=now + 180)
    await assert_refused(auth, f"Bearer {token}", TokenInvalid)


async def test_lifetime_over_five_minutes(
    auth: OrganisationAuthenticator, signers: dict[str, Signer]
) -> None:
    now = int(time.time())
    token = signers["ES256"].token(iat=now, exp=now + 301)
    await assert_refused(auth, f"Bearer {token}", TokenInvalid)


async def test_wrong_audience(auth: OrganisationAuthenticator, signers: dict[str, Signer]) -> None:
    await assert_refused(auth, f"Bearer {signers['ES256'].token(aud='other')}", TokenInvalid)


async def test_unknown_issuer(auth: OrganisationAuthenticator, signers: dict[str, Signer]) -> None:
    await assert_refused(auth, f"Bearer {signers['ES256'].token(iss='org-x')}", UnknownIssuer)


async def test_unknown_kid(auth: OrganisationAuthenticator, signers: dict[str, Signer]) -> None:
    token = signers["ES256"].token(headers={"kid": "not-registered"})
    await assert_refused(auth, f"Bearer {token}", UnknownKey)


@pytest.mark.parametrize("claim", ["jti", "sub", "exp", "iat", "role"])
async def test_missing_claim(
    auth: OrganisationAuthenticator, signers: dict[str, Signer], claim: str
) -> None:
    token = signers["ES256"].token(**{claim: None})
    await assert_refused(auth, f"Bearer {token}", TokenInvalid)


async def test_replayed_jti_is_refused(
    auth: OrganisationAuthenticator, signers: dict[str, Signer]
) -> None:
    token = signers["ES256"].token()
    await auth.authenticate(f"Bearer {token}")
    await assert_refused(auth, f"Bearer {token}", TokenReplayed)


async def test_replay_is_refused_by_another_instance(
    auth: OrganisationAuthenticator, signers: dict[str, Signer], database_url: str
) -> None:
    token = signers["ES256"].token()
    await auth.authenticate(f"Bearer {token}")
    other_engine = create_engine(database_url)
    try:
        other = OrganisationAuthenticator(auth._registry, other_engine, audience=AUD)
        await assert_refused(other, f"Bearer {token}", TokenReplayed)
    finally:
        await other_engine.dispose()


async def test_prune_forgets_only_expired_ids(
    auth: OrganisationAuthenticator, signers: dict[str, Signer]
) -> None:
    from datetime import UTC, datetime, timedelta

    await auth.authenticate(f"Bearer {signers['ES256'].token()}")
    assert await auth.prune() == 0
    assert await auth.prune(datetime.now(UTC) + timedelta(hours=1)) == 1


def test_short_rsa_key_cannot_be_registered() -> None:
    from gateway.errors import SettingsError

    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the point
    jwk = dict(RSAAlgorithm.to_jwk(weak.public_key(), as_dict=True), kid="weak")
    with pytest.raises(SettingsError, match="shorter than 2048"):
        public_key(jwk, "test")


def test_private_jwk_cannot_be_registered() -> None:
    from gateway.errors import SettingsError

    key = ec.generate_private_key(ec.SECP256R1())
    jwk = dict(ECAlgorithm.to_jwk(key, as_dict=True), kid="priv")
    with pytest.raises(SettingsError, match="private key"):
        public_key(jwk, "test")


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("sub", "Jan de Vries"),  # a name, with spaces
        ("sub", "=cmd|' /C calc'!A0"),  # spreadsheet formula
        ("sub", "+31612345678"),
        ("sub", "-prof"),
        ("sub", "@prof"),
        ("sub", "profé"),  # non-ASCII
        ("sub", "prof\n"),  # a trailing newline ($ would have let it through)
        ("sub", "prof\x00x"),
        ("sub", "p" * 129),
        ("sub", 42),
        ("role", "privacy officer"),
        ("role", "Privacy_Officer\r"),
        ("role", "=1+1"),
    ],
)
async def test_claim_outside_the_audit_grammar_is_refused_naming_the_claim(
    auth: OrganisationAuthenticator, signers: dict[str, Signer], claim: str, value: object
) -> None:
    token = signers["ES256"].token(**{claim: value})
    with pytest.raises(TokenInvalid, match=f"`{claim}`") as info:
        await auth.authenticate(f"Bearer {token}")
    assert str(value) not in str(info.value)
    async with auth._engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(replay_cache))).scalar() == 0


async def test_longest_allowed_sub_is_accepted(
    auth: OrganisationAuthenticator, signers: dict[str, Signer]
) -> None:
    principal = await auth.authenticate(f"Bearer {signers['ES256'].token(sub='p' * 128)}")
    assert principal.subject == "p" * 128


async def test_role_the_organisation_may_not_assert_is_recorded_and_uses_no_jti(
    auth: OrganisationAuthenticator, signers: dict[str, Signer]
) -> None:
    recorded: list[tuple[str, str, str]] = []

    async def refusals(org: Organisation, professional: str, role: str) -> None:
        recorded.append((org.id, professional, role))

    token = signers["ES256"].token(role="regional_privacy_officer")
    for _ in range(2):  # the same token twice: refused for its role, never as a replay
        with pytest.raises(RoleNotAllowed, match="regional_privacy_officer"):
            await auth.authenticate(f"Bearer {token}", refusals=refusals)
    assert recorded == [("org-a", "prof-1", "regional_privacy_officer")] * 2
    async with auth._engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(replay_cache))).scalar() == 0


async def test_organisation_loaded_without_the_vocabulary_may_assert_no_role(
    signers: dict[str, Signer], engine: AsyncEngine
) -> None:
    keys = {s.kid: public_key(s.jwk, "test") for s in signers.values()}
    org = Organisation("org-a", "wijkteam", "Org A", "utrecht", keys)  # no roles: fail closed
    bare = OrganisationAuthenticator(OrganisationRegistry([org]), engine, audience=AUD)
    await assert_refused(bare, f"Bearer {signers['ES256'].token()}", RoleNotAllowed)
