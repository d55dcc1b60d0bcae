"""The authenticator's one-parse path (`kid` names the key) decides every token exactly as
the full path (unverified `iss` and `kid` pick the key) would: the same claims and
organisation, or the same error with the same detail.

Tokens are built by hand from parts chosen independently, so most are wrong in some
way: a header whose `alg` or `kid` is missing, not a string, not allowed or not the
key's; a `kid` held by one organisation, by two (with different key material), or by
none; an `iss` that is another organisation than the key's owner; claims expired, not
yet valid, for another audience, of the wrong type; a signature by the right key, by
another organisation's key, or garbage; segments that are not base64 or not JSON."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwt.algorithms import ECAlgorithm, OKPAlgorithm
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.auth.organisation_tokens import OrganisationAuthenticator
from gateway.auth.organisations import Organisation, OrganisationRegistry, public_key
from gateway.errors import GatewayError

AUD = "jeugd-gateway-test"
NOW = int(time.time())

# Private keys by name; which organisation registers which under which kid is below.
_PRIVATE: dict[str, Any] = {
    "a-ed": ed25519.Ed25519PrivateKey.generate(),
    "a-ec": ec.generate_private_key(ec.SECP256R1()),
    "b-ed": ed25519.Ed25519PrivateKey.generate(),
    "b-shared": ec.generate_private_key(ec.SECP256R1()),
    "c-shared": ec.generate_private_key(ec.SECP256R1()),  # same kid as b-shared, other key
}
_ALG = {"a-ed": "EdDSA", "a-ec": "ES256", "b-ed": "EdDSA", "b-shared": "ES256", "c-shared": "ES256"}
_KID = {"a-ed": "kid-a-ed", "a-ec": "kid-a-ec", "b-ed": "kid-b-ed"}
_KID["b-shared"] = _KID["c-shared"] = "kid-shared"
_OWNERS = {"org-a": ["a-ed", "a-ec"], "org-b": ["b-ed", "b-shared"], "org-c": ["c-shared"]}


def _public_jwk(name: str) -> dict[str, Any]:
    key = _PRIVATE[name].public_key()
    codec = OKPAlgorithm if _ALG[name] == "EdDSA" else ECAlgorithm
    return {**dict(codec.to_jwk(key, as_dict=True)), "kid": _KID[name], "alg": _ALG[name]}


@pytest.fixture(scope="module")
def authenticator() -> OrganisationAuthenticator:
    orgs = [
        Organisation(
            org_id,
            "wijkteam",
            org_id,
            "utrecht",
            {_KID[name]: public_key(_public_jwk(name), "test") for name in names},
        )
        for org_id, names in _OWNERS.items()
    ]
    # `verify` never touches the database; the engine is only for the replay check.
    engine = create_async_engine("sqlite+aiosqlite:///:memory:")
    return OrganisationAuthenticator(OrganisationRegistry(orgs), engine, audience=AUD)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


_anything = st.one_of(st.none(), st.integers(), st.booleans(), st.lists(st.integers(), max_size=2))
_codes = st.sampled_from(["p-1", "wijkteam_professional", "bad value", "", "=cmd", "x" * 129])


@st.composite
def tokens(draw: st.DrawFn) -> str:
    header: dict[str, Any] = {"typ": "JWT"}
    alg = draw(st.sampled_from(["ES256", "EdDSA", "RS256", "HS256", "none", None, 7]))
    if alg is not None:
        header["alg"] = alg
    kid = draw(st.sampled_from([*sorted(set(_KID.values())), "kid-unknown", None, 3, ["x"]]))
    if kid is not None:
        header["kid"] = kid
    claims: dict[str, Any] = {
        "iss": draw(st.sampled_from(["org-a", "org-b", "org-c", "org-z", 1, None])),
        "sub": draw(_codes),
        "role": draw(_codes),
        "aud": draw(st.sampled_from([AUD, "another-gateway", [AUD], None])),
        "jti": draw(st.sampled_from(["j-1", "", "j" * 129, 5, None])),
    }
    iat = NOW + draw(st.sampled_from([0, -30, 3600, -3600]))
    claims["iat"] = draw(st.sampled_from([iat, str(iat), None]))
    claims["exp"] = NOW + draw(st.sampled_from([60, 240, 400, -120, -3600]))
    if draw(st.booleans()):
        claims["nbf"] = NOW + draw(st.sampled_from([0, 3600]))
    claims = {name: value for name, value in claims.items() if value is not None}
    if draw(st.integers(0, 9)) == 0:
        claims[draw(st.sampled_from(["iss", "exp", "sub"]))] = draw(_anything)
    header_part = _b64(json.dumps(header).encode())
    payload_part = _b64(json.dumps(claims).encode())
    form = draw(st.integers(0, 19))
    if form == 0:
        header_part = "e30!"  # not base64url
    elif form == 1:
        payload_part = _b64(b"[1, 2]")  # JSON, not an object
    elif form == 2:
        header_part = _b64(b"not json")
    signing_input = f"{header_part}.{payload_part}".encode()
    signer = draw(st.sampled_from([*sorted(_PRIVATE), "garbage"]))
    if signer == "garbage":
        signature = b"\x00" * 64
    else:
        algorithm = jwt.get_algorithm_by_name(_ALG[signer])
        signature = algorithm.sign(signing_input, _PRIVATE[signer])
    token = f"{header_part}.{payload_part}.{_b64(signature)}"
    if draw(st.integers(0, 29)) == 0:
        token = draw(st.sampled_from([token + ".x", token.replace(".", "", 1), "a.b", ""]))
    return token


def _outcome(check: Any, token: str) -> tuple[Any, ...]:
    try:
        claims, org = check(token)
    except GatewayError as exc:
        return ("refused", type(exc).__name__, exc.code, str(exc))
    return ("accepted", org.id, json.dumps(claims, sort_keys=True))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(token=tokens())
def test_the_one_parse_path_decides_as_the_full_path(
    authenticator: OrganisationAuthenticator, token: str
) -> None:
    from datetime import UTC, datetime

    now = datetime.fromtimestamp(NOW, UTC)
    fast = _outcome(lambda t: authenticator.verify(t, now=now), token)
    full = _outcome(lambda t: authenticator._verify_by_issuer(t, now), token)
    assert fast == full


def _signed(signer: str, **claims: Any) -> str:
    base = {"iss": "org-a", "sub": "p-1", "role": "wijkteam_professional", "aud": AUD}
    base |= {"iat": int(time.time()), "exp": int(time.time()) + 60, "jti": "j-1"} | claims
    return jwt.encode(base, _PRIVATE[signer], algorithm=_ALG[signer], headers={"kid": _KID[signer]})


def test_a_valid_token_is_parsed_once(
    authenticator: OrganisationAuthenticator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unverified_parse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the full path's unverified parse ran")

    monkeypatch.setattr(jwt, "decode_complete", unverified_parse)
    claims, org = authenticator.verify(_signed("a-ec"))
    assert org.id == "org-a" and claims["sub"] == "p-1"


def test_a_key_of_one_organisation_does_not_speak_for_another(
    authenticator: OrganisationAuthenticator,
) -> None:
    """Signed with org-a's key under org-a's kid, claiming to be org-b: org-b holds no
    such kid, so the token is refused as the full path refuses it."""
    with pytest.raises(GatewayError) as refused:
        authenticator.verify(_signed("a-ed", iss="org-b"))
    assert refused.value.code == "unknown_key"


def test_a_kid_two_organisations_hold_is_looked_up_by_issuer(
    authenticator: OrganisationAuthenticator,
) -> None:
    for signer, org_id in (("b-shared", "org-b"), ("c-shared", "org-c")):
        claims, org = authenticator.verify(_signed(signer, iss=org_id))
        assert claims["iss"] == org_id
        assert org.id == org_id
    with pytest.raises(GatewayError):  # org-c's key, claiming org-b: org-b's key fails it
        authenticator.verify(_signed("c-shared", iss="org-b"))
