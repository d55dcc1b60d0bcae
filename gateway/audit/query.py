"""Searching the log: filters, the caller's scope, and opaque cursors bound to the query.

Results come newest first (descending seq) in keyset pages. A cursor is
`base64url({"s": last seq, "q": query digest}) . HMAC`: it only works for the
query (filters and scope) that produced it, so a cursor from another query, or
one that was edited, is refused with `invalid_cursor`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.audit.model import (
    DECISIONS,
    EVENT_TYPES,
    LEGACY_SHAPES,
    AuditEntry,
    LegacyShape,
    format_time,
)
from gateway.audit.storage import ENTRY_COLUMNS, entry_from_row, json_object
from gateway.audit.tables import audit_entries
from gateway.errors import GatewayError, InvalidCursor, InvalidFilter
from gateway.http.inputs import EARLIEST, LATEST, parse_datetime

__all__ = [
    "FILTER_PARAMS",
    "AuditFilters",
    "AuditPage",
    "CursorCodec",
    "Scope",
    "break_glass_reviews",
    "entries_for_subject",
    "event_type_condition",
    "lifted_seqs",
    "parse_filters",
    "parse_limit",
    "search_page",
    "unreviewed_break_glass",
]

FILTER_PARAMS = (
    "from", "to", "organisation", "purpose", "bsn", "decision", "break_glass", "source",
    "event_type",
)  # fmt: skip
MAX_LIMIT = 500
MAX_CURSOR = 512  # an issued cursor is under 150 characters
DEFAULT_LIMIT = 50
_E = audit_entries.c
_LIFT = "audit.confidentiality_lifted"
_REVIEW = "audit.break_glass_review"


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

    def encode(self, binding: str, last_seq: int) -> str:
        body = _b64(json.dumps({"s": last_seq, "q": binding}, separators=(",", ":")).encode())
        return f"{body}.{self._mac(body)}"

    def decode(self, cursor: str, binding: str) -> int:
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
    for name in ("organisation", "source"):
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


def _conditions(filters: AuditFilters, scope: Scope) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if scope.organisations is not None:
        orgs = sorted(scope.organisations)
        conds.append(or_(_E.requester_org.in_(orgs), _E.source.in_(orgs)) if orgs else false())
    if filters.since is not None:
        conds.append(_E.time >= filters.since)
    if filters.until is not None:
        conds.append(_E.time < filters.until)
    if filters.organisation is not None:
        conds.append(
            or_(_E.requester_org == filters.organisation, _E.source == filters.organisation)
        )
    for column, value in (
        (_E.purpose, filters.purpose),
        (_E.subject, filters.subject),
        (_E.decision, filters.decision),
        (_E.source, filters.source),
    ):
        if value is not None:
            conds.append(column == value)
    if filters.event_type is not None:
        conds.append(event_type_condition(filters.event_type))
    if filters.break_glass is not None:  # plain column: matches the partial index predicate
        conds.append(_E.break_glass if filters.break_glass else ~_E.break_glass)
    return conds


def _shape(shape: LegacyShape) -> ColumnElement[bool]:
    """Entries stored in `shape` (`details` is canonical JSON: sorted keys, no spaces)."""
    detail = _E.details.contains(json_object({shape.key: shape.value})[1:-1], autoescape=True)
    return and_(_E.event_type == shape.stored_as, detail if shape.present else ~detail)


def event_type_condition(event_type: str) -> ColumnElement[bool]:
    """Entries that stand for `event_type` (`what_happened`): its own entries, but not
    older ones standing for a newer type, and the older entries standing for it."""
    own: ColumnElement[bool] = _E.event_type == event_type
    for shape in LEGACY_SHAPES:
        if shape.stored_as == event_type:
            own = and_(own, ~_shape(shape))
    old = [_shape(shape) for shape in LEGACY_SHAPES if shape.event_type == event_type]
    return or_(own, *old) if old else own


async def _page(
    conn: AsyncConnection,
    query: Select[Any],
    codec: CursorCodec,
    binding: str,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[AuditEntry], str | None]:
    if cursor is not None:
        query = query.where(_E.seq < codec.decode(cursor, binding))
    rows = (await conn.execute(query.order_by(_E.seq.desc()).limit(limit + 1))).mappings().all()
    entries = [entry_from_row(row) for row in rows[:limit]]
    more = len(rows) > limit
    return entries, codec.encode(binding, entries[-1].seq) if more and entries else None


async def search_page(
    conn: AsyncConnection,
    codec: CursorCodec,
    filters: AuditFilters,
    scope: Scope,
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> AuditPage:
    """One page of the entries matching `filters` within `scope`, newest first."""
    binding = codec.binding("search", filters.to_json(), scope.key())
    query = select(*ENTRY_COLUMNS).where(and_(*_conditions(filters, scope)))
    entries, next_cursor = await _page(conn, query, codec, binding, limit=limit, cursor=cursor)
    return AuditPage(tuple(entries), await lifted_seqs(conn, entries), next_cursor)


async def entries_for_subject(
    conn: AsyncConnection,
    codec: CursorCodec,
    subjects: Sequence[str],
    *,
    include_confidential: bool = False,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> AuditPage:
    """The household view: entries about `subjects`, confidential ones only once lifted."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidFilter(f"`limit` must be a whole number from 1 to {MAX_LIMIT}")
    binding = codec.binding("subject", sorted(subjects), include_confidential)
    query = select(*ENTRY_COLUMNS).where(_E.subject.in_(sorted(subjects)))
    if not include_confidential:
        lift = audit_entries.alias("lift")
        lifted = exists().where(lift.c.event_type == _LIFT, lift.c.target_seq == _E.seq)
        query = query.where(or_(_E.confidentiality != "confidential", lifted))
    entries, next_cursor = await _page(conn, query, codec, binding, limit=limit, cursor=cursor)
    return AuditPage(tuple(entries), await lifted_seqs(conn, entries), next_cursor)


async def lifted_seqs(conn: AsyncConnection, entries: Sequence[AuditEntry]) -> frozenset[int]:
    confidential = [e.seq for e in entries if e.confidentiality == "confidential"]
    if not confidential:
        return frozenset()
    result = await conn.execute(
        select(_E.target_seq).where(_E.event_type == _LIFT, _E.target_seq.in_(confidential))
    )
    return frozenset(int(seq) for seq in result.scalars())


async def break_glass_reviews(conn: AsyncConnection, seqs: Sequence[int]) -> dict[int, AuditEntry]:
    """The review entry of each break-the-glass entry in `seqs` that has one."""
    if not seqs:
        return {}
    result = await conn.execute(
        select(*ENTRY_COLUMNS).where(_E.event_type == _REVIEW, _E.target_seq.in_(list(seqs)))
    )
    reviews = [entry_from_row(row) for row in result.mappings()]
    return {r.target_seq: r for r in reviews if r.target_seq is not None}


async def unreviewed_break_glass(
    conn: AsyncConnection,
    codec: CursorCodec,
    scope: Scope,
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> AuditPage:
    """Break-the-glass decisions no privacy officer has reviewed yet, newest first."""
    binding = codec.binding("unreviewed", scope.key())
    review = audit_entries.alias("review")
    reviewed = exists().where(review.c.event_type == _REVIEW, review.c.target_seq == _E.seq)
    query = select(*ENTRY_COLUMNS).where(
        _E.break_glass,
        _E.event_type == "exchange.decision",
        ~reviewed,
        *_conditions(AuditFilters(), scope),
    )
    entries, next_cursor = await _page(conn, query, codec, binding, limit=limit, cursor=cursor)
    return AuditPage(tuple(entries), await lifted_seqs(conn, entries), next_cursor)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
