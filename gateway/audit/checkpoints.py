"""Signed checkpoints: the gateway's Ed25519 signature over `{seq, hash, time, kind}`.

A checkpoint is a compact JWS (EdDSA, `typ` `audit-checkpoint+jwt`, `kid` the
signing key's RFC 7638 thumbprint) over the claims
`{"iss": "<audience>/audit", "seq": n, "hash": "...", "time": "...Z", "kind": k}`.
Anyone with `/.well-known/jwks.json` can check it; the JWS, not the table
columns beside it, is what verification trusts. After a key rotation the old
public key stays in the JWKS, so old checkpoints keep verifying.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import jwt

from gateway.audit.model import Checkpoint, format_time, parse_time
from gateway.auth.keys import KeyStore

__all__ = [
    "CHECKPOINT_TYP",
    "KINDS",
    "CheckpointError",
    "sign_checkpoint",
    "verify_checkpoint",
]

CHECKPOINT_TYP = "audit-checkpoint+jwt"
KINDS = frozenset({"checkpoint", "anchor"})


class CheckpointError(Exception):
    """A checkpoint whose signature or claims do not hold."""


def sign_checkpoint(
    keys: KeyStore, *, seq: int, hash: str, time: datetime, kind: str, issuer: str
) -> Checkpoint:
    if kind not in KINDS:
        raise ValueError("kind must be checkpoint or anchor")
    stamp = format_time(time)
    claims = {"iss": issuer, "seq": seq, "hash": hash, "time": stamp, "kind": kind}
    jws = keys.sign_jwt(claims, typ=CHECKPOINT_TYP)
    return Checkpoint(seq, hash, parse_time(stamp), kind, keys.current_signing_kid, jws)


def verify_checkpoint(checkpoint: Checkpoint, jwks: Mapping[str, Any]) -> Checkpoint:
    """The checkpoint as its signature states it; raises CheckpointError if that fails."""
    try:
        header = jwt.get_unverified_header(checkpoint.jws)
    except jwt.PyJWTError:
        raise CheckpointError("not a JWS") from None
    if header.get("alg") != "EdDSA" or header.get("typ") != CHECKPOINT_TYP:
        raise CheckpointError("not an EdDSA audit checkpoint")
    kid = header.get("kid")
    jwk = next(
        (k for k in jwks.get("keys", []) if isinstance(k, Mapping) and k.get("kid") == kid), None
    )
    if jwk is None:
        raise CheckpointError("signed with a key that is not in the JWKS")
    try:
        key = jwt.PyJWK(dict(jwk))
        claims: dict[str, Any] = jwt.decode(
            checkpoint.jws, key.key, algorithms=["EdDSA"], options={"verify_aud": False}
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        raise CheckpointError("signature does not verify") from None
    try:
        signed = Checkpoint(
            seq=int(claims["seq"]),
            hash=str(claims["hash"]),
            time=parse_time(str(claims["time"])),
            kind=str(claims["kind"]),
            kid=str(kid),
            jws=checkpoint.jws,
        )
    except (KeyError, ValueError, TypeError):
        raise CheckpointError("claims are incomplete") from None
    if signed.kind not in KINDS:
        raise CheckpointError("unknown checkpoint kind")
    if (signed.seq, signed.hash, signed.kind) != (checkpoint.seq, checkpoint.hash, checkpoint.kind):
        raise CheckpointError("stored values differ from the signed ones")
    return signed
