"""The operator's side in tests: fresh organisation keys, the exchange the tests ask,
and the policy change they make on disk (tests/integration/operate)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

#: Synthetic BSNs (9999 prefix, elfproef), not registered in any household.
BSN = "999900018"
#: A rule change the tests make on disk: the wijkteam no longer gets `finances`.
WIJKTEAM_RULES = "policies/wijkteam.toml"
FINANCES_LINE = (
    'categories = ["contact_details", "household_composition", "support_plan", "finances"]'
)
WITHOUT_FINANCES = 'categories = ["contact_details", "household_composition", "support_plan"]'


@dataclass
class OrgKey:
    """A fresh ES256 key pair for an organisation: the public JWK to register, and tokens."""

    kid: str
    private: ec.EllipticCurvePrivateKey

    @classmethod
    def new(cls, kid: str | None = None) -> OrgKey:
        return cls(kid or "k-" + secrets.token_hex(4), ec.generate_private_key(ec.SECP256R1()))

    @property
    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = dict(
            jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        )
        return {**jwk, "kid": self.kid, "alg": "ES256", "use": "sig"}

    def token(self, issuer: str, audience: str, role: str = "hulpverlener") -> str:
        now = int(time.time())
        claims = {
            "iss": issuer,
            "sub": "medewerker-1",
            "aud": audience,
            "role": role,
            "iat": now,
            "exp": now + 120,
            "jti": secrets.token_urlsafe(12),
        }
        return jwt.encode(claims, self.private, algorithm="ES256", headers={"kid": self.kid})


def exchange_body(categories: list[str] | None = None) -> dict[str, Any]:
    return {
        "subject": {"bsn": BSN},
        "purpose": "support_planning",
        "categories": categories or ["contact_details", "finances"],
        "sources": ["wijkteam-utrecht"],
    }


def reasons_by_category(answer: dict[str, Any]) -> dict[str, str]:
    return {item["category"]: item["reason"] for item in answer["results"]}


def drop_finances(config_dir: Path) -> None:
    path = config_dir / WIJKTEAM_RULES
    text = path.read_text(encoding="utf-8")
    assert FINANCES_LINE in text
    path.write_text(text.replace(FINANCES_LINE, WITHOUT_FINANCES, 1), encoding="utf-8")
