"""The audit entry's fields, declared once.

`FIELDS` is the one list of what an entry holds, in column order. From it come the
table's columns (`gateway.audit.tables`), the canonical form that is hashed and
exported (`AuditEntry.hashed_fields`, `to_json`, `from_json`), the rows written and
read (`gateway.audit.storage`, the writer's plan), what the writer copies from an
`AuditEvent`, the privacy officer's JSON view and the CSV columns
(`gateway.api.officer.audit`). Adding a field is one line here plus a migration; the
dataclasses in `gateway.audit.model` are checked against this list when imported.

The JSON form of each kind is what the hash covers, so it must never change for an
existing kind: `int` an integer (or null), `time` the string of `format_time`,
`text` a string (or null), `codes` a list of strings, `flag` a boolean, `details`
an object of strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = [
    "CSV_FIELDS",
    "EVENT_FIELDS",
    "FIELDS",
    "FIELD_NAMES",
    "HASHED_FIELDS",
    "VIEW_FIELDS",
    "AuditField",
    "FieldKind",
    "format_time",
    "from_json_form",
    "json_form",
    "parse_time",
]

FieldKind = Literal["int", "time", "text", "codes", "flag", "details"]


@dataclass(frozen=True)
class AuditField:
    """One field of an audit entry.

    `width`: the column's length for `text` (None: unbounded text). `nullable`: may
    be null (in the column and in the JSON form). `hashed`: inside the canonical form
    (every field but `hash`). `from_event`: copied as is from the `AuditEvent` of the
    same field name (the writer stamps the others). `code`: an `AuditEvent` refuses a
    value that is not a code (`is_code`). `in_view`: in the privacy officer's JSON
    view (the sealed justification is shown decrypted instead). `in_csv`: a CSV column.
    """

    name: str
    kind: FieldKind
    width: int | None = None
    nullable: bool = True
    hashed: bool = True
    from_event: bool = True
    code: bool = False
    in_view: bool = True
    in_csv: bool = True

    def to_json(self, value: Any) -> Any:
        """The attribute's JSON form: what is hashed and exported."""
        if value is None:
            return None
        if self.kind == "time":
            return format_time(value)
        if self.kind == "codes":
            return list(value)
        if self.kind == "details":
            return dict(value)
        return value

    def from_json(self, value: Any) -> Any:
        """The attribute from its JSON form; ValueError/TypeError if it is not one."""
        if value is None and self.nullable:
            return None
        if self.kind == "int":
            return _int(value)
        if self.kind == "time":
            return parse_time(str(value))
        if self.kind == "codes":
            return tuple(str(v) for v in value)
        if self.kind == "flag":
            return bool(value)
        if self.kind == "details":
            return {str(k): str(v) for k, v in dict(value).items()}
        return str(value)


_CODE = 200  # the column width of a code (`gateway.audit.model.CODE_MAX`)

FIELDS: tuple[AuditField, ...] = (
    AuditField("seq", "int", nullable=False, from_event=False),
    AuditField("time", "time", nullable=False, from_event=False),
    AuditField("event_type", "text", 64, nullable=False),
    AuditField("request_id", "text", _CODE, nullable=False, code=True),
    AuditField("trace_id", "text", _CODE, code=True),
    AuditField("requester_org", "text", _CODE, code=True),
    AuditField("professional", "text", _CODE, code=True),
    AuditField("role", "text", _CODE, code=True),
    AuditField("subject", "text", _CODE, code=True),
    AuditField("household", "text", _CODE, code=True),
    AuditField("purpose", "text", _CODE, code=True),
    AuditField("source", "text", _CODE, code=True),
    AuditField("category", "text", _CODE, code=True),
    AuditField("decision", "text", 16),
    AuditField("reason", "text", _CODE, code=True),
    AuditField("rule_ids", "codes", nullable=False),
    AuditField("legal_basis", "text", _CODE, code=True),
    AuditField("consent_ids", "codes", nullable=False),
    AuditField("policy_version", "text", _CODE, code=True),
    AuditField("break_glass", "flag", nullable=False),
    # base64url(nonce || AES-GCM ciphertext) of the event's `justification`
    AuditField("justification_ct", "text", from_event=False, in_view=False, in_csv=False),
    # which audit key sealed it (kept for rotation)
    AuditField("justification_kid", "text", 64, from_event=False, in_csv=False),
    AuditField("outcome", "text", 16),
    AuditField("confidentiality", "text", 16, nullable=False),
    AuditField("target_seq", "int"),
    AuditField("details", "details", nullable=False, in_csv=False),
    AuditField("prev_hash", "text", 64, nullable=False, from_event=False, in_csv=False),
    AuditField("hash", "text", 64, nullable=False, hashed=False, from_event=False),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
HASHED_FIELDS: tuple[AuditField, ...] = tuple(f for f in FIELDS if f.hashed)
EVENT_FIELDS: tuple[AuditField, ...] = tuple(f for f in FIELDS if f.from_event)
VIEW_FIELDS: tuple[AuditField, ...] = tuple(f for f in FIELDS if f.in_view)
CSV_FIELDS: tuple[AuditField, ...] = tuple(f for f in FIELDS if f.in_csv)


def json_form(entry: object, fields: tuple[AuditField, ...] = HASHED_FIELDS) -> dict[str, Any]:
    """`fields` of `entry` (any object with those attributes) in their JSON form."""
    return {f.name: f.to_json(getattr(entry, f.name)) for f in fields}


def from_json_form(data: Mapping[str, Any]) -> dict[str, Any]:
    """Every field's attribute value from a JSON form (KeyError if one is missing)."""
    return {f.name: f.from_json(data[f.name]) for f in FIELDS}


def format_time(value: datetime) -> str:
    """UTC, microseconds, `Z`: the one textual form of a time in hashes and exports."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("time needs a timezone")
    return parsed.astimezone(UTC)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("expected an integer")
    return value
