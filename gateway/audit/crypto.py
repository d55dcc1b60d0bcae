"""Break-the-glass justifications (and review notes), encrypted at rest with AES-256-GCM.

The ciphertext is `base64url(nonce || ciphertext+tag)` with a fresh 96-bit nonce;
the associated data binds it to the key id and the request id, so a ciphertext
moved to another entry does not decrypt. The key id is stored beside it: after
rotation (`keys/audit/current` names a new key) old entries still decrypt with
the key they name. The hash chain covers the ciphertext, never the plaintext.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["JustificationBox"]

_NONCE_BYTES = 12
_AAD_PREFIX = b"gateway-audit-justification/v1|"


class JustificationBox:
    """Seals with the current audit key; opens with whichever key an entry names."""

    def __init__(self, keys: Mapping[str, bytes], current_kid: str) -> None:
        if current_kid not in keys:
            raise ValueError("the current audit key id is not among the audit keys")
        for kid, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"audit key {kid} is not 256 bits")
        self._keys = dict(keys)
        self._current = current_kid

    def seal(self, plaintext: str, request_id: str) -> tuple[str, str]:
        """(ciphertext, key id) for `plaintext`."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(self._keys[self._current]).encrypt(
            nonce, plaintext.encode("utf-8"), _aad(self._current, request_id)
        )
        return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("="), self._current

    def open(self, ciphertext: str, kid: str, request_id: str) -> str | None:
        """The plaintext, or None if the key is gone or the ciphertext was altered."""
        key = self._keys.get(kid)
        if key is None:
            return None
        try:
            raw = base64.urlsafe_b64decode(ciphertext + "=" * (-len(ciphertext) % 4))
            plain = AESGCM(key).decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(kid, request_id)
            )
        except (InvalidTag, ValueError):
            return None
        return plain.decode("utf-8")


def _aad(kid: str, request_id: str) -> bytes:
    return _AAD_PREFIX + kid.encode() + b"|" + request_id.encode()
