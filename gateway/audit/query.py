"""What a search of the log is: filters, the caller's scope, pages, and opaque cursors
bound to the query. The queries themselves run in `gateway.audit.reader`.

Results come newest first (descending seq) in keyset pages. A cursor is
`base64url({"s": last seq, "q": query digest}) . HMAC`: it only works for the
query (filters and scope) that produced it, so a cursor from another query, or
one that was edited, is refused with `invalid_cursor`. A cursor issued with an end
(`"e"`, Unix seconds, the household's access log) is refused after it, and a query that
asks for one refuses a cursor without it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.audit.model import DECISIONS, EVENT_TYPES, AuditEntry, format_time, is_code
from gateway.errors import GatewayError, InvalidCursor, InvalidFilter
from gateway.http.inputs import EARLIEST, LATEST, parse_datetime

__all__ = [
    "DEFAULT_LIMIT",
    "FILTER_PARAMS",
    "MAX_LIMIT",
    "AuditFilters",
    "AuditPage",
    "CursorCodec",
    "Scope",
    "Withheld",
    "parse_filters",
    "parse_limit",
]

FILTER_PARAMS = (
    "from", "to", "organisation", "purpose", "bsn", "decision", "break_glass", "source",
    "event_type", "professional", "case", "request_id", "confidentiality", "requester",
)  # fmt: skip
MAX_LIMIT = 500
MAX_CURSOR = 512  # an issued cursor is under 150 characters
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class AuditFilters:
    since: datetime | None = None
    until: datetime | None = None
    organisation: str | None = None  # requested by, or was the source
    purpose: str | None = None
    subject: str | None = None  # pseudonym (the API takes a BSN and pseudonymises it)
    decision: str | None = None
    break_glass: bool | None = None
    source: str | None = None
    event_type: str | None = None
    professional: str | None = None  # the organisation's identifier of the professional
    case: str | None = None  # a registered case id (`details.case_id` of its exchanges)
    request_id: str | None = None  # every entry of one exchange (or other request)
    confidentiality: str | None = None  # normal | confidential (as stored)
    requester: str | None = None  # requested by this organisation (not: was its source)

    def to_json(self) -> dict[str, Any]:
        return {
            "from": None if self.since is None else format_time(self.since),
            "to": None if self.until is None else format_time(self.until),
            "organisation": self.organisation,
            "purpose": self.purpose,
            "subject": self.subject,
            "decision": self.decision,
            "break_glass": self.break_glass,
            "source": self.source,
            "event_type": self.event_type,
            "professional": self.professional,
            "case": self.case,
            "request_id": self.request_id,
            "confidentiality": self.confidentiality,
            "requester": self.requester,
        }

    def details(self) -> dict[str, str]:
        """The filters as audit-entry details (subject goes in the entry's own field)."""
        return {
            ("filter_" + k): str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in self.to_json().items()
            if v is not None and k != "subject"
        }


@dataclass(frozen=True)
class Scope:
    """Which organisations' entries the caller may see; None means all (CLI, tests)."""

    organisations: frozenset[str] | None

    def key(self) -> list[str] | None:
        return None if self.organisations is None else sorted(self.organisations)


@dataclass(frozen=True)
class Withheld:
    """What a household member's view of the log leaves out and how its cursors hold:
    entries about `others` (their children) in `categories` (restricted: a reporter's
    identity, a shelter address) are not selected at all; a cursor works only for the
    same `bound_to` (a digest of the session) and for `cursor_ttl_seconds`."""

    others: frozenset[str]
    categories: frozenset[str]
    bound_to: str
    cursor_ttl_seconds: int
    # The viewer's own portal acts (their reads, downloads), left out where the page
    # shows who *else* looked; None keeps them.
    own_portal_acts_of: str | None = None

    def key(self) -> list[Any]:
        return [
            sorted(self.others),
            sorted(self.categories),
            self.bound_to,
            self.own_portal_acts_of,
        ]


@dataclass(frozen=True)
class AuditPage:
    entries: tuple[AuditEntry, ...]
    lifted: frozenset[int]
    next_cursor: str | None

    def confidentiality(self, entry: AuditEntry) -> str:
        """`lifted` for a confidential entry a privacy officer has lifted, else as stored."""
        return "lifted" if entry.seq in self.lifted else entry.confidentiality


class CursorCodec:
    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_secret(cls, secret: bytes) -> CursorCodec:
        return cls(hmac.new(secret, b"gateway-audit-cursor/v1", hashlib.sha256).digest())

    @staticmethod
    def binding(*parts: Any) -> str:
        text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def encode(self, binding: str, last_seq: int, *, expires_at: int | None = None) -> str:
        data: dict[str, Any] = {"s": last_seq, "q": binding}
        if expires_at is not None:
            data["e"] = expires_at
        body = _b64(json.dumps(data, separators=(",", ":")).encode())
        return f"{body}.{self._mac(body)}"

    def decode(self, cursor: str, binding: str, *, now: float | None = None) -> int:
        """The last seq of `cursor`; with `now`, the cursor must carry an end after it."""
        if not cursor.isascii() or len(cursor) > MAX_CURSOR:  # compare_digest needs ASCII
            raise InvalidCursor("Cursor is not one this gateway issued")
        body, _, mac = cursor.partition(".")
        if not body or not hmac.compare_digest(mac, self._mac(body)):
            raise InvalidCursor("Cursor is not one this gateway issued")
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            seq, bound = data["s"], data["q"]
        except (ValueError, KeyError, TypeError):
            raise InvalidCursor("Cursor is malformed") from None
        if bound != binding or not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise InvalidCursor("Cursor belongs to another query")
        if now is not None:
            end = data.get("e")
            if not isinstance(end, int) or isinstance(end, bool) or end <= now:
                raise InvalidCursor("Cursor has expired")
        return seq

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:20])


def parse_filters(
    params: Mapping[str, str],
    *,
    pseudonym: Callable[[str], str],
    organisations: Collection[str],
    allowed_extra: Collection[str] = ("limit", "cursor"),
) -> AuditFilters:
    """Filters from query parameters; `invalid_filter` (400) for anything that does not parse."""
    unknown = sorted(set(params) - set(FILTER_PARAMS) - set(allowed_extra))
    if unknown:
        raise InvalidFilter(f"Unknown filter(s): {', '.join(unknown)}")
    for name in ("organisation", "source", "requester"):
        if name in params and params[name] not in organisations:
            raise InvalidFilter(f"`{name}` is not a known organisation id")
    decision = params.get("decision")
    if decision is not None and decision not in DECISIONS:
        raise InvalidFilter("`decision` must be permit or deny")
    event_type = params.get("event_type")
    if event_type is not None and event_type not in EVENT_TYPES:
        raise InvalidFilter("`event_type` is not in the event catalogue")
    purpose = params.get("purpose")
    code = purpose.replace("_", "") if purpose is not None else ""
    if purpose is not None and not (0 < len(purpose) <= 100 and code.isascii() and code.isalnum()):
        raise InvalidFilter("`purpose` must be a purpose code")
    subject = None
    if "bsn" in params:
        try:
            subject = pseudonym(params["bsn"])
        except GatewayError:
            raise InvalidFilter("`bsn` must be nine digits passing the elfproef") from None
    for name in ("professional", "case", "request_id"):
        if name in params and not is_code(params[name]):
            raise InvalidFilter(f"`{name}` must be a code (no spaces)")
    confidentiality = params.get("confidentiality")
    if confidentiality is not None and confidentiality not in ("normal", "confidential"):
        raise InvalidFilter("`confidentiality` must be normal or confidential")
    since, until = _time(params, "from"), _time(params, "to")
    if since is not None and until is not None and since > until:
        raise InvalidFilter("`from` is after `to`")
    return AuditFilters(
        since=since,
        until=until,
        organisation=params.get("organisation"),
        purpose=purpose,
        subject=subject,
        decision=decision,
        break_glass=_bool(params, "break_glass"),
        source=params.get("source"),
        event_type=event_type,
        professional=params.get("professional"),
        case=params.get("case"),
        request_id=params.get("request_id"),
        confidentiality=confidentiality,
        requester=params.get("requester"),
    )


def parse_limit(
    value: str | None, *, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT
) -> int:
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= maximum:
        raise InvalidFilter(f"`limit` must be a whole number from 1 to {maximum}")
    return int(value)


def _time(params: Mapping[str, str], name: str) -> datetime | None:
    text = params.get(name)
    if text is None:
        return None
    value = parse_datetime(text, naive_is_utc=True)
    if value is None:
        raise InvalidFilter(
            f"`{name}` must be an ISO 8601 date or date-time in the years {EARLIEST} to {LATEST}"
        )
    return value


def _bool(params: Mapping[str, str], name: str) -> bool | None:
    text = params.get(name)
    if text is None:
        return None
    if text in ("true", "false"):
        return text == "true"
    raise InvalidFilter(f"`{name}` must be true or false")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
