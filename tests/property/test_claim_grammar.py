"""The edge and the audit log speak one grammar: a `sub` or `role` the authenticator
accepts is always one the audit model accepts, so no accepted caller can make an
audited write fail afterwards (the 500-after-commit and the 503 on every exchange)."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import given, settings
from jwt.algorithms import OKPAlgorithm
from sqlalchemy.ext.asyncio import create_async_engine
from strategies import token_claim_texts

from gateway.audit.model import AuditEvent
from gateway.auth.keys import jwk_thumbprint
from gateway.auth.organisation_tokens import OrganisationAuthenticator
from gateway.auth.organisations import Organisation, OrganisationRegistry, public_key
from gateway.errors import TokenInvalid

AUD = "jeugd-gateway-test"
_KEY = ed25519.Ed25519PrivateKey.generate()
_JWK = dict(OKPAlgorithm.to_jwk(_KEY.public_key(), as_dict=True))
_KID = jwk_thumbprint(_JWK)


@pytest.fixture(scope="module")
def authenticator() -> OrganisationAuthenticator:
    keys = {_KID: public_key({**_JWK, "kid": _KID}, "test")}
    org = Organisation("org-a", "wijkteam", "Org A", "utrecht", keys)
    # `verify` never touches the database; the engine is only for the replay check.
    engine = create_async_engine("sqlite+aiosqlite:///:memory:")
    return OrganisationAuthenticator(OrganisationRegistry([org]), engine, audience=AUD)


def _token(sub: str, role: str) -> str:
    now = int(time.time())
    claims = {"iss": "org-a", "sub": sub, "role": role, "aud": AUD, "iat": now, "exp": now + 60}
    return jwt.encode({**claims, "jti": "j-1"}, _KEY, algorithm="EdDSA", headers={"kid": _KID})


@settings(max_examples=300, deadline=None)
@given(sub=token_claim_texts(), role=token_claim_texts())
def test_any_sub_and_role_the_authenticator_accepts_the_audit_log_accepts(
    authenticator: OrganisationAuthenticator, sub: str, role: str
) -> None:
    try:
        claims, org = authenticator.verify(_token(sub, role))
    except TokenInvalid as exc:
        refused = str(exc)  # refused at the edge: the detail names the claim
        assert "`sub`" in refused or "`role`" in refused
        return
    event = AuditEvent(
        event_type="exchange.decision",
        request_id="req_1",
        requester_org=org.id,
        professional=claims["sub"],
        role=claims["role"],
    )
    assert event.problem() is None
    assert claims["sub"] == sub and claims["role"] == role
