"""Key pairs for demo organisations: the demo (and the tests) play the organisations' part.

A real organisation keeps its private key in its own systems and registers only
the public JWK. Here we generate one, write the private half to
`<data dir>/demo/<organisation id>.pem` (0600) and the public half to the
`jwks_file` the organisation's configuration names, and mint tokens with it.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from gateway.auth.keys import jwk_thumbprint
from gateway.errors import SettingsError

__all__ = ["DemoOrganisationKey", "ensure_demo_key", "load_demo_key"]


class DemoOrganisationKey:
    """An organisation's ES256 key as the organisation's own system would hold it."""

    def __init__(self, org_id: str, private_key: ec.EllipticCurvePrivateKey) -> None:
        self.org_id = org_id
        self.private_key = private_key
        public = dict(ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True))
        self.public_jwk: dict[str, Any] = {
            "kty": public["kty"],
            "crv": public["crv"],
            "x": public["x"],
            "y": public["y"],
        }
        self.kid = jwk_thumbprint(self.public_jwk)
        self.public_jwk.update({"kid": self.kid, "alg": "ES256", "use": "sig"})

    def token(
        self,
        audience: str,
        *,
        role: str,  # one the organisation may assert, else 403 role_not_allowed
        sub: str = "prof-0001",
        lifetime: int = 120,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.org_id,
            "sub": sub,
            "aud": audience,
            "iat": now,
            "exp": now + lifetime,
            "jti": secrets.token_urlsafe(16),
            "role": role,
        }
        claims.update(extra or {})
        return jwt.encode(claims, self.private_key, algorithm="ES256", headers={"kid": self.kid})


def ensure_demo_key(org_id: str, data_dir: Path, jwks_file: str) -> DemoOrganisationKey:
    """Load the demo key of `org_id`, or create it and publish its public half."""
    pem_path = data_dir / "demo" / f"{org_id}.pem"
    if pem_path.exists():
        key = load_demo_key(org_id, data_dir)
    else:
        key = DemoOrganisationKey(org_id, ec.generate_private_key(ec.SECP256R1()))
        pem_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        pem = key.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(pem_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
    jwks_path = data_dir / jwks_file
    jwks_path.parent.mkdir(parents=True, exist_ok=True)
    # Keys registered there besides the demo's own (a key being rotated in) are kept:
    # a restart of the demo must not undo a key rotation.
    others = [k for k in _registered(jwks_path) if k.get("kid") != key.kid]
    jwks_path.write_text(json.dumps({"keys": [key.public_jwk, *others]}, indent=2))
    return key


def _registered(jwks_path: Path) -> list[dict[str, Any]]:
    """The keys a JWKS file holds now (none when it does not exist yet)."""
    if not jwks_path.exists():
        return []
    try:
        document = json.loads(jwks_path.read_text())
    except (OSError, UnicodeError, ValueError):
        raise SettingsError(str(jwks_path), "is not a JWK Set; fix or remove it") from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
        raise SettingsError(str(jwks_path), "is not a JWK Set; fix or remove it")
    return keys


def load_demo_key(org_id: str, data_dir: Path) -> DemoOrganisationKey:
    pem = (data_dir / "demo" / f"{org_id}.pem").read_bytes()
    private = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise ValueError(f"demo key of {org_id} is not an EC key")
    return DemoOrganisationKey(org_id, private)
