"""BSNs at the edge: validated with the elfproef, turned into keyed pseudonyms, then dropped.

Past this module the gateway speaks only of pseudonyms (HMAC-SHA256 with a
secret key), except in the adapter call that asks a source system about the
person; a BSN never reaches a log, an audit entry or the database.
"""

from __future__ import annotations

import hashlib
import hmac

from gateway.errors import InvalidBsn

__all__ = ["Pseudonymiser", "is_valid_bsn", "validate_bsn"]

_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def is_valid_bsn(value: str) -> bool:
    """Nine digits passing the elfproef (11-proof); all zeros is not a number."""
    if len(value) != 9 or not value.isascii() or not value.isdigit() or value == "000000000":
        return False
    return sum(w * int(d) for w, d in zip(_WEIGHTS, value, strict=True)) % 11 == 0


def validate_bsn(value: object) -> str:
    if not isinstance(value, str) or not is_valid_bsn(value):
        raise InvalidBsn("BSN must be nine digits that pass the elfproef")
    return value


class Pseudonymiser:
    """Keyed, stable pseudonyms: the same BSN always maps to the same value for one secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("pseudonymisation secret must be at least 32 bytes")
        self._secret = secret

    def pseudonym(self, bsn: str) -> str:
        digest = hmac.new(self._secret, validate_bsn(bsn).encode(), hashlib.sha256).hexdigest()
        return "ps_" + digest[:40]
