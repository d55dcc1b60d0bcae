"""Tampering with one field of an audit entry, for every field the entry has.

The fields come from the `AuditEntry` dataclass itself (and the tests check that the
table's columns are the same set), so a field added later is tampered with too; a
field of a type `tampered` cannot change makes the tests fail rather than skip it.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from gateway.audit.model import AuditEntry

__all__ = ["ENTRY_FIELDS", "tamper", "tampered"]

ENTRY_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(AuditEntry))
_HINTS: dict[str, Any] = typing.get_type_hints(AuditEntry)


def tampered(value: Any, hint: Any) -> Any:
    """A different value of the same type (as small a change as possible)."""
    if value is None:
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if options == [str]:
            return "x"
        if options == [int]:
            return 1
        raise AssertionError(f"no tampering defined for None of {hint}")
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1000
    if isinstance(value, str):
        if not value:
            return "x"
        return value[:-1] + ("0" if value[-1] != "0" else "1")  # same length, one char
    if isinstance(value, datetime):
        return value + timedelta(microseconds=1)
    if isinstance(value, tuple):
        return (*value, "x")
    if isinstance(value, Mapping):
        return {**value, "tampered": str(value.get("tampered", "")) + "1"}
    raise AssertionError(f"no tampering defined for {type(value).__name__}: add one")


def tamper(entry: AuditEntry, field: str) -> AuditEntry:
    """`entry` with `field` changed; every other field (the stored hash included) kept."""
    new = tampered(getattr(entry, field), _HINTS[field])
    assert new != getattr(entry, field), field
    return dataclasses.replace(entry, **{field: new})
