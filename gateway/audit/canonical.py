"""The canonical form of an entry (RFC 8785, JSON Canonicalization Scheme) and its hash.

An entry's hash is SHA-256 over the RFC 8785 canonical JSON of every stored field
except `hash` itself (so `prev_hash` is inside: that is the chain). Entries hold
only strings, integers below 2**53, booleans, null, lists of strings and objects
with ASCII keys; for exactly that domain RFC 8785 equals `json.dumps` with sorted
keys, no whitespace and no ASCII escaping (same escapes, same key order, same
integers). We use that fast path on the hot path and the `rfc8785` package for
everything else (checkpoint payloads); a property test holds the two equal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import rfc8785

from gateway.audit.model import AuditEntry

__all__ = ["canonical_bytes", "canonical_entry", "entry_hash", "hash_fields"]

_MAX_SAFE_INTEGER = 2**53 - 1


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 canonical JSON of any JSON value (the reference implementation)."""
    result: bytes = rfc8785.dumps(value)
    return result


def canonical_entry(fields: Mapping[str, Any]) -> bytes:
    """RFC 8785 canonical JSON of an entry's fields (fast path; see module docstring)."""
    for name, value in fields.items():
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and abs(value) > _MAX_SAFE_INTEGER
        ):
            raise ValueError(f"{name} is outside the integer range of RFC 8785")
        if isinstance(value, float):
            raise ValueError(f"{name}: entries hold no floating-point numbers")
    text = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.encode("utf-8")


def hash_fields(fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_entry(fields)).hexdigest()


def entry_hash(entry: AuditEntry) -> str:
    """What `entry.hash` must be."""
    return hash_fields(entry.hashed_fields())
