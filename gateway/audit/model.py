"""What goes into the audit log: `AuditEvent` in, `AuditEntry` stored, and the fixed catalogues.

An `AuditEvent` is what a caller hands to `AuditLog.append`: one decision or one
access, with pseudonyms and codes only (no BSN, no names, no payloads). The log
encrypts the break-the-glass justification, numbers the event, stamps the time
and chains it; the result is an `AuditEntry`, exactly what is stored and hashed.

Why one module of this size: the event, the entry and the catalogues of event types and
claim grammar are validated together at construction, so what may enter the log is
readable in one place.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from gateway.audit.fields import (
    EVENT_FIELDS,
    FIELD_NAMES,
    FIELDS,
    HASHED_FIELDS,
    format_time,
    from_json_form,
    json_form,
    parse_time,
)

__all__ = [
    "CONFIDENTIALITY",
    "DECISIONS",
    "EVENT_TYPES",
    "GENESIS_HASH",
    "LEGACY_SHAPES",
    "OUTCOMES",
    "AuditEntry",
    "AuditEvent",
    "Checkpoint",
    "LegacyShape",
    "format_time",
    "is_code",
    "parse_time",
    "what_happened",
]

# The fixed catalogue of event types. Adding one is a documented change (docs/audit.md).
EVENT_TYPES = frozenset(
    {
        "exchange.decision",  # one per source x category of an exchange, permit or deny
        "exchange.handover",  # an organisation handed data to another through the gateway
        "household.read",  # a household member read (part of) the dossier
        "household.access_log_read",  # a household member read their access log
        "household.export",  # a household member downloaded their data
        "household.read_by_organisation",  # an organisation read a household's composition
        "household.registered",  # a regiehouder registered a household
        "household.changed",  # a regiehouder changed a household (`details.event`: how)
        "household.regiehouder_transferred",  # a regiehouder handed a household over
        "household.custody_followed",  # custody changed as the custody register says
        "consent.granted",
        "consent.withdrawn",
        "consent.recorded_on_paper",
        "consent.listed",  # an organisation read (or was refused) a person's consents
        "auth.role_refused",  # a token asserted a role its organisation may not assert
        "auth.login",  # a household member logged in to the portal (a new session)
        "auth.login_refused",  # a portal login was refused after its state matched
        "case.opened",  # an organisation registered a case (one entry per person it covers)
        "case.closed",  # an organisation closed a case (one entry per person it covered)
        "audit.query",  # a privacy officer searched or exported the log
        "audit.verify",  # a privacy officer verified the chain
        "audit.break_glass_review",  # a privacy officer judged a break-the-glass use
        "audit.confidentiality_lifted",  # a privacy officer lifted a confidential entry
        "audit.pruned",  # retention removed old entries (an anchor keeps the chain verifiable)
        "policy.simulated",  # someone asked what the policies would allow
    }
)


@dataclass(frozen=True)
class LegacyShape:
    """How entries of `event_type` were written before that type existed.

    Those entries keep their stored shape (they are hashed and chained): type
    `stored_as`, told apart by `details[key] == value` (`present`) or by its absence
    (not `present`). The privacy officer's filters find them under the new name.
    """

    event_type: str
    stored_as: str
    key: str
    value: str
    present: bool

    def fits(self, event_type: str, details: Mapping[str, str]) -> bool:
        """Whether an entry with this type and details is an old one of this shape."""
        if event_type != self.stored_as:
            return False
        return (details.get(self.key) == self.value) is self.present


LEGACY_SHAPES: tuple[LegacyShape, ...] = (
    # before issue 12 every household write was `household.registered`, `details.event` how
    LegacyShape("household.changed", "household.registered", "event", "registered", False),
    # ... and an organisation's read of a household or of consents an `exchange.decision`
    LegacyShape(
        "household.read_by_organisation", "exchange.decision", "access", "household_read", True
    ),
    LegacyShape("consent.listed", "exchange.decision", "access", "consents_read", True),
)


def what_happened(event_type: str, details: Mapping[str, str]) -> str:
    """The event type an entry stands for today (its own, unless an old shape of a newer one)."""
    for shape in LEGACY_SHAPES:
        if shape.fits(event_type, details):
            return shape.event_type
    return event_type


DECISIONS = frozenset({"permit", "deny"})
OUTCOMES = frozenset({"returned", "denied", "source_error"})
CONFIDENTIALITY = frozenset({"normal", "confidential", "lifted"})
# `prev_hash` of the very first entry.
GENESIS_HASH = "0" * 64

# A code: ASCII letters, digits and `._:/+=@-`, starting with a letter or digit (so no
# spaces, no control characters, no spreadsheet formula), at most 200 characters. The
# authenticator checks the token's `sub` and `role` with `is_code`, so every claim it
# accepts is one this log accepts too.
CODE_MAX = 200
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+=@-]{0,199}")
_DETAIL_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_MAX_TEXT = 2000


@dataclass(frozen=True)
class AuditEvent:
    """One decision or access to log. Codes and pseudonyms only; see docs/audit.md."""

    event_type: str
    request_id: str
    trace_id: str | None = None
    requester_org: str | None = None  # organisation id
    professional: str | None = None  # the organisation's identifier of the professional (`sub`)
    role: str | None = None
    subject: str | None = None  # subject pseudonym (ps_...)
    household: str | None = None  # household pseudonym
    purpose: str | None = None
    source: str | None = None  # source organisation id
    category: str | None = None
    decision: str | None = None  # permit | deny
    reason: str | None = None  # reason code
    rule_ids: tuple[str, ...] = ()
    legal_basis: str | None = None
    consent_ids: tuple[str, ...] = ()
    policy_version: str | None = None
    break_glass: bool = False
    justification: str | None = None  # plaintext; encrypted (AES-GCM) before it is stored
    outcome: str | None = None  # returned | denied | source_error
    confidentiality: str = "normal"  # normal | confidential (lifted only by a lift entry)
    target_seq: int | None = None  # the entry a review or lift is about
    details: Mapping[str, str] = field(default_factory=dict)  # further codes, e.g. a verdict

    def __post_init__(self) -> None:
        problem = self.problem()
        if problem:
            raise ValueError(f"invalid audit event: {problem}")

    def problem(self) -> str | None:
        """What is wrong with this event, or None. Never echoes values (they may be personal)."""
        if self.event_type not in EVENT_TYPES:
            return "event_type is not in the catalogue"
        if self.decision is not None and self.decision not in DECISIONS:
            return "decision must be permit or deny"
        if self.outcome is not None and self.outcome not in OUTCOMES:
            return "outcome must be returned, denied or source_error"
        if self.confidentiality not in ("normal", "confidential"):
            return "confidentiality must be normal or confidential"
        for name in _CODE_NAMES:
            value = getattr(self, name)
            if value is not None and not is_code(value):
                return f"{name} must be a code (1-200 characters, no spaces)"
        if not self.request_id:
            return "request_id is required"
        for name, values in (("rule_ids", self.rule_ids), ("consent_ids", self.consent_ids)):
            if not isinstance(values, tuple) or not all(is_code(v) for v in values):
                return f"{name} must be a tuple of codes"
        if self.justification is not None and (
            not 0 < len(self.justification) <= _MAX_TEXT or not _utf8(self.justification)
        ):
            return f"justification must be 1-{_MAX_TEXT} characters of text"
        if self.target_seq is not None and self.target_seq < 1:
            return "target_seq must be positive"
        for key, value in self.details.items():
            if not _DETAIL_KEY.match(key) or not isinstance(value, str) or len(value) > 200:
                return "details must map lowercase keys to short strings"
            if not _utf8(value):
                return "details values must be text"
        return None


@dataclass(frozen=True)
class AuditEntry:
    """An entry as stored and hashed. `hash` covers every other field (see canonical.py)."""

    seq: int
    time: datetime
    event_type: str
    request_id: str
    trace_id: str | None
    requester_org: str | None
    professional: str | None
    role: str | None
    subject: str | None
    household: str | None
    purpose: str | None
    source: str | None
    category: str | None
    decision: str | None
    reason: str | None
    rule_ids: tuple[str, ...]
    legal_basis: str | None
    consent_ids: tuple[str, ...]
    policy_version: str | None
    break_glass: bool
    justification_ct: str | None  # base64url(nonce || AES-GCM ciphertext)
    justification_kid: str | None  # which audit key encrypted it (kept for rotation)
    outcome: str | None
    confidentiality: str
    target_seq: int | None
    details: Mapping[str, str]
    prev_hash: str
    hash: str

    def hashed_fields(self) -> dict[str, Any]:
        """Every field but `hash`, as JSON values: the input of the canonical form."""
        return json_form(self, HASHED_FIELDS)

    def to_json(self) -> dict[str, Any]:
        """The export form: the hashed fields plus `hash`."""
        return json_form(self, FIELDS)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AuditEntry:
        """Read the export form back; raises ValueError (or KeyError/TypeError) if it is not one."""
        return cls(**from_json_form(data))


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement "entry `seq` has hash `hash`", made at `time` by the gateway key.

    `kind` is `checkpoint` (every N entries or T seconds) or `anchor` (where retention
    cut the chain: the first remaining entry's `prev_hash` must equal an anchor's hash).
    `jws` is the compact EdDSA JWS over exactly these claims; it is the source of truth.
    """

    seq: int
    hash: str
    time: datetime
    kind: str
    kid: str
    jws: str

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "hash": self.hash,
            "time": format_time(self.time),
            "kind": self.kind,
            "kid": self.kid,
            "jws": self.jws,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Checkpoint:
        return cls(
            seq=_int(data["seq"]),
            hash=str(data["hash"]),
            time=parse_time(str(data["time"])),
            kind=str(data["kind"]),
            kid=str(data["kid"]),
            jws=str(data["jws"]),
        )


def is_code(value: object, *, max_length: int = CODE_MAX) -> bool:
    """Whether `value` is a code the audit log accepts (and at most `max_length` long)."""
    return isinstance(value, str) and len(value) <= min(max_length, CODE_MAX) and _code_text(value)


@functools.lru_cache(maxsize=4096)
def _code_text(value: str) -> bool:
    """The grammar's match, remembered: an exchange checks the same few codes (its
    organisation, role, purpose, categories) in every entry it writes."""
    return _CODE.fullmatch(value) is not None


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("expected an integer")
    return value


_CODE_FIELDS = tuple(f for f in EVENT_FIELDS if f.code)
_CODE_NAMES = tuple(f.name for f in _CODE_FIELDS)


def _check_declarations() -> None:
    """The dataclasses must hold exactly the declared fields (gateway.audit.fields)."""
    entry = tuple(f.name for f in fields(AuditEntry))
    event = tuple(f.name for f in fields(AuditEvent))
    expected_event = (*(f.name for f in EVENT_FIELDS), "justification")
    if entry != FIELD_NAMES or sorted(event) != sorted(expected_event):
        raise RuntimeError("AuditEntry/AuditEvent differ from gateway.audit.fields.FIELDS")


_check_declarations()
