"""A case system's side of the gateway, in one file: the integrator's guide (docs/connect.md)
as running code. Needs only pyjwt[crypto] and aiohttp; imports nothing of the gateway.

It signs a new token for every call (ES256, a fresh `jti`, 2 minutes), reads the
vocabulary, asks for data, records the person's consent (given on paper) when the answer
says it is missing, asks again, and prints every item's decision and explanation.

    python examples/connect_client.py --gateway http://127.0.0.1:8080 \\
        --org wijkteam-utrecht --key var/demo/wijkteam-utrecht.pem \\
        --bsn <child_consented_at_11 from the demo's guide>

Exit code 0 when the last answer held records, 1 when it did not, 2 on a problem answer.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import secrets
import sys
import time
from typing import Any

import aiohttp
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


class ProblemAnswer(Exception):
    """The gateway answered with RFC 9457 problem+json."""

    def __init__(self, problem: dict[str, Any]) -> None:
        super().__init__(f"{problem.get('status')} {problem.get('code')}: {problem.get('detail')}")
        self.problem = problem


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def thumbprint(public_key: ec.EllipticCurvePublicKey) -> str:
    """The key's RFC 7638 thumbprint: the `kid` the gateway knows the key by."""
    numbers = public_key.public_numbers()
    size = (public_key.curve.key_size + 7) // 8
    members = {
        "crv": "P-256",
        "kty": "EC",
        "x": _b64(numbers.x.to_bytes(size, "big")),
        "y": _b64(numbers.y.to_bytes(size, "big")),
    }
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return _b64(hashlib.sha256(canonical).digest())


class GatewayClient:
    """Calls the gateway as one organisation; every call carries a new token."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        gateway: str,
        organisation: str,
        key: ec.EllipticCurvePrivateKey,
        *,
        audience: str,
        role: str,
        professional: str,
    ) -> None:
        self._session = session
        self._gateway = gateway.rstrip("/")
        self._org = organisation
        self._key = key
        self._kid = thumbprint(key.public_key())
        self._audience = audience
        self._role = role
        self._professional = professional

    def token(self) -> str:
        """A token for one call: at most 5 minutes, a `jti` never used before."""
        now = int(time.time())
        claims = {
            "iss": self._org,
            "sub": self._professional,
            "aud": self._audience,
            "iat": now,
            "exp": now + 120,
            "jti": secrets.token_urlsafe(16),
            "role": self._role,
        }
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self._kid})

    async def call(self, method: str, path: str, body: Any | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token()}", "Accept": "application/json"}
        async with self._session.request(
            method, self._gateway + path, json=body, headers=headers
        ) as response:
            answer = await response.json(content_type=None)
            if response.content_type == "application/problem+json":
                raise ProblemAnswer(answer)
            return answer


def show(answer: dict[str, Any]) -> bool:
    """Print each item's decision and explanation; whether any item held records."""
    held = False
    for item in answer["results"]:
        records = item.get("records")
        held = held or bool(records)
        print(
            f"  {item['source']:28} {item['category']:24} {item['decision']:6} "
            f"{item['reason']:24} {len(records or [])} record(s)"
        )
        print(f"    nl: {item['explanation']['nl']}")
        print(f"    en: {item['explanation']['en']}")
        for missing in item.get("missing_consent", []):
            print(f"    consent still needed from: {missing['label']['en']}")
    return held


async def run(args: argparse.Namespace, key: ec.EllipticCurvePrivateKey) -> int:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        client = GatewayClient(
            session,
            args.gateway,
            args.org,
            key,
            audience=args.audience,
            role=args.role,
            professional=args.professional,
        )
        try:
            vocabulary = await client.call("GET", "/api/v1/vocabulary")
            purposes = {p["id"]: p["label"]["en"] for p in vocabulary["purposes"]}
            print(f"purpose {args.purpose}: {purposes[args.purpose]}")
            print(f"my roles: {', '.join(r['id'] for r in vocabulary['roles'])}")
            request = {
                "subject": {"bsn": args.bsn},
                "purpose": args.purpose,
                "categories": args.categories,
                "sources": [args.org],
            }
            print("exchange:")
            answer = await client.call("POST", "/api/v1/exchanges", request)
            held = show(answer)
            if any(item["reason"] == "consent_required" for item in answer["results"]):
                consent = await client.call(
                    "POST",
                    "/api/v1/consents",
                    {
                        "subject": args.bsn,
                        "purposes": [args.purpose],
                        "categories": args.categories,
                        "recipients": {"organisations": [args.org]},
                        "evidence_reference": "example-client-paper-form",
                    },
                )
                print(f"consent recorded: {consent['id']} ({consent['status']})")
                print("exchange again (a new token):")
                held = show(await client.call("POST", "/api/v1/exchanges", request))
        except ProblemAnswer as problem:
            print(f"problem: {problem} (see {problem.problem.get('type')})", file=sys.stderr)
            return 2
    return 0 if held else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gateway", default="http://127.0.0.1:8080")
    parser.add_argument("--org", required=True, help="your organisation id (the token's iss)")
    parser.add_argument("--key", required=True, help="your private key (PEM, EC P-256)")
    parser.add_argument("--bsn", required=True, help="the subject's BSN (synthetic in the demo)")
    parser.add_argument("--role", default="hulpverlener", help="the professional's role")
    parser.add_argument("--professional", default="example-professional")
    parser.add_argument("--audience", default="jeugd-gateway", help="the gateway's audience")
    parser.add_argument("--purpose", default="support_planning")
    parser.add_argument("--categories", nargs="+", default=["contact_details", "health"])
    args = parser.parse_args()
    with open(args.key, "rb") as pem:  # a short script
        key = serialization.load_pem_private_key(pem.read(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        print("the key must be an EC P-256 private key", file=sys.stderr)
        return 2
    return asyncio.run(run(args, key))


if __name__ == "__main__":
    sys.exit(main())
