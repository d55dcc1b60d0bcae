"""Reading the audit log: the `AuditReader` port and its SQL implementation.

Every query of the log goes through here: the privacy officer's search, entries and
verification (`gateway.api.officer`), the household's own entries (`gateway.api.me`, and
next its access-log page), the CLI's verify and export. The methods return typed values
(`AuditPage`, `AuditEntry`, `Checkpoint`, `VerifyReport`), never HTTP answers, so a JSON
route and a page share them. Only the writer (`gateway.audit.writer`) and the chain's own
verifier and retention read the tables otherwise.

`Scope(None)` means every organisation (CLI, tests); an officer's scope names the
organisations whose entries it may see (requested by, or the source of, one of them).
Longer than most modules on purpose: the port and every query's SQL in one place, so no
other module has to build any.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway.audit.export import ExportSummary, export_log
from gateway.audit.model import LEGACY_SHAPES, AuditEntry, Checkpoint, LegacyShape
from gateway.audit.query import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    AuditFilters,
    AuditPage,
    CursorCodec,
    Scope,
    Withheld,
)
from gateway.audit.storage import (
    CHECKPOINT_COLUMNS,
    ENTRY_COLUMNS,
    checkpoint_from_row,
    entry_from_row,
    json_object,
    verify_stored,
)
from gateway.audit.tables import audit_checkpoints, audit_entries
from gateway.audit.verify import VerifyReport
from gateway.auth.keys import KeyStore
from gateway.errors import InvalidFilter

__all__ = [
    "AuditReader",
    "SqlAuditReader",
    "break_glass_reviews",
    "entries_for_subject",
    "event_type_condition",
    "lifted_seqs",
    "search_page",
    "unreviewed_break_glass",
]

_E = audit_entries.c
_LIFT = "audit.confidentiality_lifted"
_REVIEW = "audit.break_glass_review"


class AuditReader(Protocol):
    """The queries of the audit log its readers need (officer API and console, the
    household's access log, the CLI). Pages are newest first, with a cursor bound to
    the query (`invalid_cursor` for any other)."""

    async def search(
        self,
        filters: AuditFilters,
        scope: Scope,
        *,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> AuditPage:
        """One page of the entries matching `filters` within `scope`."""
        ...

    async def count(self, filters: AuditFilters, scope: Scope) -> int:
        """How many entries match `filters` within `scope`."""
        ...

    async def entry(self, seq: int, scope: Scope) -> AuditEntry | None:
        """The entry `seq` if it is within `scope`, else None (then: 404)."""
        ...

    async def entries_for_subject(
        self,
        subjects: Sequence[str],
        *,
        include_confidential: bool = False,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        withheld: Withheld | None = None,
    ) -> AuditPage:
        """The household's view: entries about `subjects`; confidential ones stay hidden
        until a privacy officer lifts them, unless `include_confidential`. `withheld`
        leaves out, in the query, what the viewer may not see of others, and binds and
        ends the cursors (the household's access log)."""
        ...

    async def unreviewed_break_glass(
        self, scope: Scope, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None
    ) -> AuditPage:
        """Break-the-glass decisions no privacy officer has reviewed yet."""
        ...

    async def break_glass_reviews(self, seqs: Sequence[int]) -> dict[int, AuditEntry]:
        """The review entry of each break-the-glass entry in `seqs` that has one."""
        ...

    async def checkpoints(self, *, limit: int = DEFAULT_LIMIT) -> list[Checkpoint]:
        """The newest signed checkpoints, newest first."""
        ...

    async def verify(self, witness: Sequence[Checkpoint] = ()) -> VerifyReport:
        """The chain, checkpoints and head verified against the gateway's public keys."""
        ...

    async def export(self, out: Path) -> ExportSummary:
        """Every checkpoint and entry written to `out` (JSON Lines, verifiable offline)."""
        ...


class SqlAuditReader:
    """`AuditReader` on the gateway's database (SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine, keys: KeyStore) -> None:
        self._engine = engine
        self._keys = keys
        # The same key the audit log derives: cursors stay valid across readers.
        self._cursors = CursorCodec.from_secret(keys.pseudonym_secret)

    async def search(
        self,
        filters: AuditFilters,
        scope: Scope,
        *,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> AuditPage:
        async with self._engine.connect() as conn:
            return await search_page(
                conn, self._cursors, filters, scope, limit=limit, cursor=cursor
            )

    async def count(self, filters: AuditFilters, scope: Scope) -> int:
        query = select(func.count()).select_from(audit_entries)
        async with self._engine.connect() as conn:
            result = await conn.execute(query.where(*_conditions(filters, scope)))
            return int(result.scalar_one())

    async def entry(self, seq: int, scope: Scope) -> AuditEntry | None:
        query = select(*ENTRY_COLUMNS).where(_E.seq == seq, *_conditions(AuditFilters(), scope))
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).mappings().one_or_none()
        return None if row is None else entry_from_row(row)

    async def entries_for_subject(
        self,
        subjects: Sequence[str],
        *,
        include_confidential: bool = False,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        withheld: Withheld | None = None,
    ) -> AuditPage:
        async with self._engine.connect() as conn:
            return await entries_for_subject(
                conn,
                self._cursors,
                subjects,
                include_confidential=include_confidential,
                limit=limit,
                cursor=cursor,
                withheld=withheld,
            )

    async def unreviewed_break_glass(
        self, scope: Scope, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None
    ) -> AuditPage:
        async with self._engine.connect() as conn:
            return await unreviewed_break_glass(
                conn, self._cursors, scope, limit=limit, cursor=cursor
            )

    async def break_glass_reviews(self, seqs: Sequence[int]) -> dict[int, AuditEntry]:
        async with self._engine.connect() as conn:
            return await break_glass_reviews(conn, seqs)

    async def checkpoints(self, *, limit: int = DEFAULT_LIMIT) -> list[Checkpoint]:
        query = select(*CHECKPOINT_COLUMNS).order_by(audit_checkpoints.c.seq.desc()).limit(limit)
        async with self._engine.connect() as conn:
            rows = await conn.execute(query)
            return [checkpoint_from_row(row) for row in rows.mappings()]

    async def verify(self, witness: Sequence[Checkpoint] = ()) -> VerifyReport:
        return await verify_stored(self._engine, self._keys.jwks(), witness)

    async def export(self, out: Path) -> ExportSummary:
        return await export_log(self._engine, out)


# -- the SQL ----------------------------------------------------------------------------


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
        (_E.requester_org, filters.requester),
        (_E.professional, filters.professional),
        (_E.request_id, filters.request_id),
        (_E.confidentiality, filters.confidentiality),
    ):
        if value is not None:
            conds.append(column == value)
    if filters.event_type is not None:
        conds.append(event_type_condition(filters.event_type))
    if filters.case is not None:  # `details` is canonical JSON: sorted keys, no spaces
        case = json_object({"case_id": filters.case})[1:-1]
        conds.append(_E.details.contains(case, autoescape=True))
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
    ttl: int | None = None,
) -> tuple[list[AuditEntry], str | None]:
    now = time.time()
    if cursor is not None:
        seq = codec.decode(cursor, binding, now=None if ttl is None else now)
        query = query.where(_E.seq < seq)
    rows = (await conn.execute(query.order_by(_E.seq.desc()).limit(limit + 1))).mappings().all()
    entries = [entry_from_row(row) for row in rows[:limit]]
    if not (len(rows) > limit and entries):
        return entries, None
    end = None if ttl is None else int(now) + ttl
    return entries, codec.encode(binding, entries[-1].seq, expires_at=end)


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
    query = select(*ENTRY_COLUMNS).where(*_conditions(filters, scope))
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
    withheld: Withheld | None = None,
) -> AuditPage:
    """The household view: entries about `subjects`, confidential ones only once lifted;
    with `withheld`, without the categories hidden from the viewer about others (in the
    query, so every page but the last is full and no page shows that any were left out)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidFilter(f"`limit` must be a whole number from 1 to {MAX_LIMIT}")
    binding = codec.binding(
        "subject",
        sorted(subjects),
        include_confidential,
        None if withheld is None else withheld.key(),
    )
    query = select(*ENTRY_COLUMNS).where(_E.subject.in_(sorted(subjects)))
    if not include_confidential:
        lift = audit_entries.alias("lift")
        lifted = exists().where(lift.c.event_type == _LIFT, lift.c.target_seq == _E.seq)
        query = query.where(or_(_E.confidentiality != "confidential", lifted))
    ttl = None
    if withheld is not None:
        ttl = withheld.cursor_ttl_seconds
        others = sorted(withheld.others)
        categories = sorted(withheld.categories)
        if others and categories:
            query = query.where(
                or_(
                    _E.subject.not_in(others),
                    _E.category.is_(None),
                    _E.category.not_in(categories),
                )
            )
        if withheld.own_portal_acts_of is not None:
            own = and_(
                _E.professional == withheld.own_portal_acts_of,
                _E.requester_org.is_(None),
                _E.role == "household",
            )
            query = query.where(~own)
    entries, next_cursor = await _page(
        conn, query, codec, binding, limit=limit, cursor=cursor, ttl=ttl
    )
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
