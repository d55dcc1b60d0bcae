"""The relying party's ID token checks, on tokens signed here (a real provider would
not mint these): signature against the provider's keys, algorithm allow-list, issuer,
audience, times and nonce."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey

from gateway.auth.oidc import LoginRefused, OidcConfig, validate_id_token

ISSUER = "https://idp.example"
CONFIG = OidcConfig(ISSUER, "portal", "secret", "https://gw.example/oidc/callback")
NONCE = "n-0123456789"
KEY = ECKey.generate_key("P-256", private=True)
KEYS = KeySet.import_key_set({"keys": [{**KEY.as_dict(private=False), "kid": "k1"}]})


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "aud": ["portal"],
        "sub": "abc",
        "iat": now,
        "exp": now + 300,
        "nonce": NONCE,
        "bsn": "999990019",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def signed(body: dict[str, Any], key: Any = KEY, alg: str = "ES256") -> str:
    return jwt.encode({"alg": alg, "kid": "k1"}, body, key, algorithms=[alg])


def refused_as(token: str, code: str) -> None:
    with pytest.raises(LoginRefused) as caught:
        validate_id_token(token, KEYS, CONFIG, NONCE)
    assert caught.value.code == code


def test_a_good_id_token_is_accepted() -> None:
    assert validate_id_token(signed(claims()), KEYS, CONFIG, NONCE)["bsn"] == "999990019"


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "https://evil.example"},
        {"aud": ["someone-else"]},
        {"aud": None},
        {"exp": int(time.time()) - 120},
        {"iat": int(time.time()) + 3600},
        {"iss": None},
    ],
    ids=["wrong_issuer", "wrong_audience", "no_audience", "expired", "issued_later", "no_iss"],
)
def test_an_id_token_with_wrong_claims_is_refused(changes: dict[str, Any]) -> None:
    refused_as(signed(claims(**changes)), "id_token_invalid")


def test_an_id_token_for_another_login_is_refused_for_its_nonce() -> None:
    refused_as(signed(claims(nonce="another-login")), "nonce_mismatch")
    refused_as(signed(claims(nonce=None)), "nonce_mismatch")


def test_an_id_token_signed_by_another_key_is_refused() -> None:
    refused_as(signed(claims(), key=ECKey.generate_key("P-256", private=True)), "id_token_invalid")


def test_alg_none_is_refused() -> None:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    unsigned = f"{part({'alg': 'none', 'kid': 'k1'})}.{part(claims())}."
    refused_as(unsigned, "id_token_invalid")


def test_hmac_is_refused_even_when_keyed_with_a_public_value() -> None:
    """HS256 keyed with something public (the client id, the provider's JWK): refused by
    the allow-list before any key is tried."""
    secret = OctKey.import_key("portal" * 6)
    refused_as(signed(claims(), key=secret, alg="HS256"), "id_token_invalid")
