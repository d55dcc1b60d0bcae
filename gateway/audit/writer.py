"""`AuditLog`: durable, hash-chained appends with group commit, plus checkpoints.

Concurrent `append`s are committed together in one transaction (group commit,
`gateway.storage.group_commit`): while one batch is being committed the next one
gathers, so throughput grows with concurrency instead of collapsing into one
transaction per entry. Inside the transaction
the chain head row is locked (`SELECT ... FOR UPDATE` on PostgreSQL, the
database write lock on SQLite), so several processes on one database still
extend one linear chain. Hashes are computed in Python; the batch goes in with
one executemany. `append` returns only after the commit, or raises
`AuditUnavailable`: the caller then releases nothing.

A change to the gateway's own records (a household, a consent) commits with its
entry in one transaction instead: `append_with(conn, events)` locks the head and
appends on the caller's connection, so the change and its entry commit together or
not at all. A review or a lift (`ONCE_EVENT_TYPES`) is allowed once per target: it
claims `(event_type, target_seq)` in `audit_once` in its own transaction
(`append_alone`), so a second one fails only that request (409), never a group
commit of other callers.

Why one module of this size: the three append paths share the head lock, the hashing
and the failure mapping; split apart, a change to one would silently diverge from the
others, and that divergence is exactly what would break the chain.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import operator
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway.audit.canonical import hash_fields
from gateway.audit.checkpoints import sign_checkpoint
from gateway.audit.crypto import JustificationBox
from gateway.audit.fields import EVENT_FIELDS, FIELDS
from gateway.audit.model import AuditEntry, AuditEvent, Checkpoint, format_time
from gateway.audit.storage import (
    CHECKPOINT_COLUMNS,
    checkpoint_from_row,
    column_value,
    utc,
)
from gateway.audit.tables import audit_chain_head, audit_checkpoints, audit_entries, audit_once
from gateway.auth.keys import KeyStore
from gateway.errors import AuditUnavailable, Conflict
from gateway.storage.db import (
    begin_write,
    sqlite_time,
    write_runner,
)
from gateway.storage.group_commit import GroupCommit

__all__ = ["ONCE_EVENT_TYPES", "AuditLog", "lock_chain_head"]

log = structlog.get_logger("gateway.audit")

MAX_BATCH_ENTRIES = 5000
# The fields stored as canonical JSON text (their JSON form is what is hashed).
_JSON_COLUMNS = tuple((f.name, f) for f in FIELDS if f.kind in ("codes", "details"))
_LIST_FIELDS = tuple(f.name for f in EVENT_FIELDS if f.kind == "codes")
_OBJECT_FIELDS = tuple(f.name for f in EVENT_FIELDS if f.kind == "details")
if any(f.kind == "time" for f in EVENT_FIELDS):  # its JSON form would need format_time
    raise RuntimeError("an AuditEvent field of kind time needs a conversion in _prepare")
# Event types recorded at most once per `target_seq` (a unique key in `audit_once`).
ONCE_EVENT_TYPES = frozenset({"audit.break_glass_review", "audit.confidentiality_lifted"})


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Pending:
    fields: list[dict[str, Any]]
    checkpoint: bool = False


@dataclass
class _Head:
    seq: int
    hash: str
    checkpoint_seq: int
    checkpoint_time: datetime | None
    extra: dict[str, Any] = field(default_factory=dict)


# Statements built once: construction and cache-key generation cost more than the
# execution on the hot path. `_LOCK_HEAD` is one round trip: a no-op UPDATE takes the
# row lock (PostgreSQL) or the database write lock (SQLite, waiting on busy_timeout)
# and RETURNING reads the head under it, so two writers never both extend one head.
_LOCK_HEAD = (
    update(audit_chain_head)
    .where(audit_chain_head.c.id == 1)
    .values(seq=audit_chain_head.c.seq)
    .returning(*audit_chain_head.c)
)
_ADVANCE_HEAD = (
    update(audit_chain_head)
    .where(audit_chain_head.c.id == 1)
    .values(
        seq=bindparam("new_seq"),
        hash=bindparam("new_hash"),
        checkpoint_seq=bindparam("new_checkpoint_seq"),
        checkpoint_time=bindparam("new_checkpoint_time"),
    )
)
_INSERT_ENTRIES = insert(audit_entries)
_INSERT_CHECKPOINT = insert(audit_checkpoints)


# The group commit's statements for the drivers themselves (`WriteRunner`'s `on_sqlite`
# and `on_asyncpg`): pre-built tuples, no per-execution compilation or processing.
_ENTRY_COLUMN_NAMES = tuple(audit_entries.c.keys())
_ENTRY_ROW = operator.itemgetter(*_ENTRY_COLUMN_NAMES)
_ENTRY_COLUMN_SET = frozenset(_ENTRY_COLUMN_NAMES)
_CHECKPOINT_COLUMN_NAMES = tuple(audit_checkpoints.c.keys())
_SQLITE_HEAD = (
    "SELECT seq, hash, checkpoint_seq, checkpoint_time FROM audit_chain_head WHERE id = 1"
)
_SQLITE_INSERT_ENTRIES = (
    f"INSERT INTO audit_entries ({', '.join(_ENTRY_COLUMN_NAMES)}) "  # noqa: S608 (fixed names)
    f"VALUES ({', '.join('?' * len(_ENTRY_COLUMN_NAMES))})"
)
_SQLITE_INSERT_CHECKPOINT = (
    f"INSERT INTO audit_checkpoints ({', '.join(_CHECKPOINT_COLUMN_NAMES)}) "  # noqa: S608 (fixed names)
    f"VALUES ({', '.join('?' * len(_CHECKPOINT_COLUMN_NAMES))})"
)
_SQLITE_ADVANCE_HEAD = (
    "UPDATE audit_chain_head SET seq = ?, hash = ?, checkpoint_seq = ?, checkpoint_time = ? "
    "WHERE id = 1"
)


def _pg_append_sql() -> str:
    """A whole batch in ONE statement (one round trip, atomic without BEGIN/COMMIT).

    The head moves only from the head the batch was chained on (`$old_*`): if another
    writer moved it first, the UPDATE matches nothing (PostgreSQL re-checks the
    condition on the row it waited for) and neither the entries nor the checkpoint
    are inserted; the caller re-reads the head and chains again. The entries go in as
    ONE JSON array of objects (`json_to_recordset`), the checkpoint only when its seq
    is not null. One text parameter instead of an array per column: asyncpg checks
    every element of an array against `collections.abc`, which cost more client CPU
    than the whole round trip (measured: 280 against 190 us per batch of 2 entries).
    A value too wide for its column is refused, never cut short (a cast of an array to
    `varchar(n)[]` would cut it, and the stored entry would no longer match its hash).
    """
    dialect: Any = postgresql.dialect()  # type: ignore[no-untyped-call]
    columns = list(audit_entries.c)
    names = ", ".join(c.name for c in columns)
    record = ", ".join(f"{c.name} {c.type.compile(dialect)}" for c in columns)
    cp = audit_checkpoints.c
    cp_values = ", ".join(f"${9 + i}::{c.type.compile(dialect)}" for i, c in enumerate(cp))
    return (
        "WITH moved AS ("  # noqa: S608 (fixed names)
        " UPDATE audit_chain_head SET seq = $2::bigint, hash = $3::varchar,"
        " checkpoint_seq = $4::bigint, checkpoint_time = $5::timestamptz"
        " WHERE id = 1 AND seq = $6::bigint AND hash = $7::varchar"
        " AND checkpoint_seq = $8::bigint RETURNING id"
        "), entries AS ("
        f" INSERT INTO audit_entries ({names})"
        f" SELECT {names} FROM json_to_recordset($1::json) AS e({record})"
        " WHERE EXISTS (SELECT FROM moved)"
        "), checkpoint AS ("
        f" INSERT INTO audit_checkpoints ({', '.join(c.name for c in cp)})"
        f" SELECT {cp_values} WHERE $9::bigint IS NOT NULL AND EXISTS (SELECT FROM moved)"
        ") SELECT count(*) FROM moved"
    )


_PG_APPEND = _pg_append_sql()
_PG_HEAD = "SELECT seq, hash, checkpoint_seq, checkpoint_time FROM audit_chain_head WHERE id = 1"
_PG_LOCK_HEAD = _PG_HEAD + " FOR UPDATE"
# After a batch found the head moved by another writer, lock it for this long.
_PG_LOCKING_SECONDS = 1.0


@dataclass
class _Plan:
    entries: list[dict[str, Any]]
    checkpoint: dict[str, Any] | None
    head: dict[str, Any]  # the `_ADVANCE_HEAD` parameters
    results: list[list[int]]  # per pending append: its seqs (+ the checkpoint's, if asked)


def lock_chain_head(conn: Connection) -> _Head:
    """Lock the chain head for the rest of this transaction and read it."""
    return _head_from(conn.execute(_LOCK_HEAD).mappings().one())


def _insert_ignoring_duplicates(conn: Connection) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING` into `audit_once` (rowcount 0: taken)."""
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    return dialect_insert(audit_once).on_conflict_do_nothing()


def _head_from(row: Any) -> _Head:
    """A head from its row (a SQLAlchemy mapping or an asyncpg record)."""
    checkpoint_time = row["checkpoint_time"]
    return _Head(
        int(row["seq"]),
        row["hash"],
        int(row["checkpoint_seq"]),
        None if checkpoint_time is None else utc(checkpoint_time),
    )


def _moved(plan: _Plan) -> _Head:
    """The head after `plan` was written."""
    new = plan.head
    return _Head(
        new["new_seq"], new["new_hash"], new["new_checkpoint_seq"], new["new_checkpoint_time"]
    )


def _json_time(value: object) -> str:
    """`json.dumps`' fallback for the entries: a time in its one textual form."""
    if isinstance(value, datetime):
        return format_time(value)
    raise TypeError(f"an audit column value of type {type(value).__name__}")


def _pg_args(head: _Head, plan: _Plan) -> list[Any]:
    """`_PG_APPEND`'s parameters: the entries as one JSON array, the new and old head,
    the checkpoint (all null if none)."""
    # `json_to_recordset` takes the columns by name and reads a missing one as null:
    # an entry must have exactly the columns, or nothing is written.
    for entry in plan.entries:
        if entry.keys() != _ENTRY_COLUMN_SET:
            raise RuntimeError("an audit entry's fields are not the table's columns")
    args: list[Any] = [
        json.dumps(plan.entries, default=_json_time, ensure_ascii=False, check_circular=False)
    ]
    new = plan.head
    args += (
        new["new_seq"],
        new["new_hash"],
        new["new_checkpoint_seq"],
        new["new_checkpoint_time"],
        head.seq,
        head.hash,
        head.checkpoint_seq,
    )
    checkpoint = plan.checkpoint
    if checkpoint is None:
        args += [None] * len(_CHECKPOINT_COLUMN_NAMES)
    else:
        args += [checkpoint[c] for c in _CHECKPOINT_COLUMN_NAMES]
    return args


class AuditLog:
    """The audit log of one process; lives on the app as `app[AUDIT]`."""

    def __init__(
        self,
        engine: AsyncEngine,
        keys: KeyStore,
        *,
        issuer: str,
        checkpoint_every: int = 1000,
        checkpoint_seconds: float = 60.0,
        max_batch: int = MAX_BATCH_ENTRIES,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._engine = engine
        self._keys = keys
        self._issuer = issuer
        self._every = checkpoint_every
        self._interval = checkpoint_seconds
        self._clock = clock
        self._box = JustificationBox(keys.audit_keys, keys.current_audit_kid)
        self._writer: GroupCommit[_Pending, list[int]] = GroupCommit(
            self._commit,
            failure=lambda _exc: AuditUnavailable("Audit log unavailable; no data released"),
            name="audit_append",
            max_batch=max_batch,
            weight=lambda pending: max(1, len(pending.fields)),
        )
        self._timer: asyncio.Task[None] | None = None
        self._accepting = False
        self._pg_head: _Head | None = None  # the head this process last wrote (PostgreSQL)
        self._pg_locking_until = 0.0  # loop time until which batches lock the head first
        #: PostgreSQL batches chained on a head another writer had moved (then chained
        #: again under the lock), and batches written under the head's lock.
        self.contended = 0
        self.locked = 0

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    def observe_batches(self, observer: Callable[[int, float, bool], None]) -> None:
        """Tell `observer` of every committed batch (the metrics; see `GroupCommit`)."""
        self._writer.observer = observer

    @property
    def issuer(self) -> str:
        return self._issuer

    @property
    def keys(self) -> KeyStore:
        return self._keys

    async def start(self) -> None:
        """Accept appends and start the checkpoint timer."""
        if self._accepting:
            return
        self._accepting = True
        self._timer = asyncio.create_task(self._checkpoint_timer(), name="audit-checkpoints")

    async def close(self) -> None:
        """Stop accepting appends, commit what is queued, sign a last checkpoint, stop.

        The closing checkpoint covers every entry, so after a clean stop nobody can cut
        the tail unnoticed (between checkpoints only the chain head row shows a cut, and
        whoever can delete rows can rewrite that row too). If it cannot be written the
        stop goes on (the entries are committed) and a warning is logged.
        """
        was_accepting, self._accepting = self._accepting, False
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
            self._timer = None
        await self._writer.drain()
        if was_accepting:
            try:
                await self._writer.submit(_Pending([], checkpoint=True))
            except AuditUnavailable:
                log.warning("audit_checkpoint_failed", error_type="AuditUnavailable")

    async def append(self, events: Sequence[AuditEvent]) -> list[int]:
        """Commit `events` to the chain; their sequence numbers, in order.

        Returns only after the commit. Any failure raises `AuditUnavailable` (503):
        the caller must then release no data.
        """
        if not events:
            return []
        if not self._accepting:
            raise AuditUnavailable("Audit log is not running; no data released")
        if any(event.event_type in ONCE_EVENT_TYPES for event in events):
            return await self.append_alone(events)
        try:
            fields = [self._prepare(event) for event in events]
        except Exception as exc:
            log.error("audit_append_failed", error_type=type(exc).__name__)
            raise AuditUnavailable("Audit entry could not be prepared; no data released") from None
        return await self._writer.submit(_Pending(fields))

    async def append_with(self, conn: AsyncConnection, events: Sequence[AuditEvent]) -> list[int]:
        """Append `events` inside the caller's open write transaction on `conn`.

        The chain head stays locked until that transaction ends, so the caller's change
        and these entries commit together or not at all. Any failure raises
        `AuditUnavailable` (the caller's transaction must then roll back), except a
        second review or lift of one entry, which raises `Conflict`.
        """
        if not events:
            return []
        if not self._accepting:
            raise AuditUnavailable("Audit log is not running; nothing was changed")
        try:
            return await conn.run_sync(self.append_in, events)
        except Conflict:
            raise
        except Exception as exc:
            log.error("audit_append_failed", error_type=type(exc).__name__)
            raise AuditUnavailable("Audit log unavailable; nothing was changed") from None

    def step(
        self, events: Callable[[str], Sequence[AuditEvent]]
    ) -> Callable[[AsyncConnection, str], Awaitable[None]]:
        """A store's audit step (`consent.AuditStep`): `events(written_id)`, appended with
        `append_with` inside the store's own write once it knows what it wrote."""

        async def step(conn: AsyncConnection, written_id: str) -> None:
            await self.append_with(conn, events(written_id))

        return step

    def within(self, events: Sequence[AuditEvent]) -> Callable[[AsyncConnection], Awaitable[None]]:
        """`events`, appended with `append_with` as a step of a store's write transaction."""

        async def within(conn: AsyncConnection) -> None:
            await self.append_with(conn, events)

        return within

    async def append_alone(self, events: Sequence[AuditEvent]) -> list[int]:
        """Append `events` in a transaction of their own (not the group commit)."""
        if not events:
            return []
        if not self._accepting:
            raise AuditUnavailable("Audit log is not running; nothing was recorded")
        try:
            async with begin_write(self._engine) as conn:
                return await self.append_with(conn, events)
        except (Conflict, AuditUnavailable):
            raise
        except Exception as exc:
            log.error("audit_append_failed", error_type=type(exc).__name__)
            raise AuditUnavailable("Audit log unavailable; nothing was recorded") from None

    def append_in(self, conn: Connection, events: Sequence[AuditEvent]) -> list[int]:
        """`append_with` on the synchronous side of the caller's connection."""
        plan = self._plan(lock_chain_head(conn), [_Pending([self._prepare(e) for e in events])])
        self._write(conn, plan)
        for entry in plan.entries:
            if entry["event_type"] in ONCE_EVENT_TYPES and entry["target_seq"] is not None:
                claim = _insert_ignoring_duplicates(conn).values(
                    event_type=entry["event_type"], target_seq=entry["target_seq"], seq=entry["seq"]
                )
                if not conn.execute(claim).rowcount:
                    raise Conflict("That was already recorded for this entry")
        return plan.results[0]

    async def checkpoint(self) -> Checkpoint | None:
        """Sign a checkpoint at the head now, unless the head already has one."""
        if not self._accepting:
            raise AuditUnavailable("Audit log is not running")
        seqs = await self._writer.submit(_Pending([], checkpoint=True))
        if not seqs:
            return None
        async with self._engine.connect() as conn:
            row = (
                (
                    await conn.execute(
                        select(*CHECKPOINT_COLUMNS).where(audit_checkpoints.c.seq == seqs[0])
                    )
                )
                .mappings()
                .one()
            )
        return checkpoint_from_row(row)

    def open_justification(self, entry: AuditEntry) -> str | None:
        """The decrypted justification (or review note) of an entry, if any."""
        if entry.justification_ct is None or entry.justification_kid is None:
            return None
        return self._box.open(entry.justification_ct, entry.justification_kid, entry.request_id)

    # --- the writer -------------------------------------------------------------------

    def _prepare(self, event: AuditEvent) -> dict[str, Any]:
        ciphertext = kid = None
        if event.justification is not None:
            ciphertext, kid = self._box.seal(event.justification, event.request_id)
        # The event's fields in their JSON form (`AuditField.to_json`, unrolled: hot path).
        # `AuditEvent` holds exactly `EVENT_FIELDS` and `justification` (checked when
        # gateway.audit.model is imported), so its `__dict__` is that, without a lookup each.
        fields = dict(event.__dict__)
        del fields["justification"]
        for name in _LIST_FIELDS:
            fields[name] = list(fields[name])
        for name in _OBJECT_FIELDS:
            fields[name] = dict(fields[name])
        fields["justification_ct"], fields["justification_kid"] = ciphertext, kid
        return fields

    async def _commit(self, batch: Sequence[_Pending]) -> list[list[int]]:
        return await write_runner(self._engine).run(
            lambda conn: self._commit_in(conn, batch),
            on_sqlite=lambda raw: self._commit_sqlite(raw, batch),
            on_asyncpg=lambda driver: self._commit_asyncpg(driver, batch),
            asyncpg_transaction=False,
        )

    def _commit_in(self, conn: Connection, batch: Sequence[_Pending]) -> list[list[int]]:
        """One transaction: lock the head, chain and insert the batch, maybe checkpoint."""
        plan = self._plan(lock_chain_head(conn), batch)
        self._write(conn, plan)
        return plan.results

    @staticmethod
    def _write(conn: Connection, plan: _Plan) -> None:
        """A plan's rows: the entries, maybe a checkpoint, the moved head."""
        if plan.entries:
            conn.execute(_INSERT_ENTRIES, plan.entries)
        if plan.checkpoint is not None:
            conn.execute(_INSERT_CHECKPOINT, plan.checkpoint)
        conn.execute(_ADVANCE_HEAD, plan.head)

    def _commit_sqlite(self, raw: sqlite3.Connection, batch: Sequence[_Pending]) -> list[list[int]]:
        """`_commit_in` on the `sqlite3` connection, already holding the write lock."""
        row = raw.execute(_SQLITE_HEAD).fetchone()
        if row is None:
            raise RuntimeError("the audit chain head row is missing")
        seq, hash_, checkpoint_seq, checkpoint_time = row
        head = _Head(
            int(seq),
            hash_,
            int(checkpoint_seq),
            None if checkpoint_time is None else utc(datetime.fromisoformat(checkpoint_time)),
        )
        plan = self._plan(head, batch)
        if plan.entries:
            stamp = sqlite_time(plan.entries[0]["time"])  # one time per batch
            for entry in plan.entries:
                entry["time"] = stamp
            raw.executemany(_SQLITE_INSERT_ENTRIES, [_ENTRY_ROW(e) for e in plan.entries])
        if plan.checkpoint is not None:
            checkpoint = dict(plan.checkpoint, time=sqlite_time(plan.checkpoint["time"]))
            raw.execute(
                _SQLITE_INSERT_CHECKPOINT, tuple(checkpoint[c] for c in _CHECKPOINT_COLUMN_NAMES)
            )
        new = plan.head
        raw.execute(
            _SQLITE_ADVANCE_HEAD,
            (
                new["new_seq"],
                new["new_hash"],
                new["new_checkpoint_seq"],
                None
                if new["new_checkpoint_time"] is None
                else sqlite_time(new["new_checkpoint_time"]),
            ),
        )
        return plan.results

    async def _commit_asyncpg(self, driver: Any, batch: Sequence[_Pending]) -> list[list[int]]:
        """The batch on the asyncpg driver, in one round trip when the head is known.

        The head this process last wrote is kept; the batch is chained on it and sent
        as one statement that moves the head only from there (`_PG_APPEND`). If another
        writer (process) had moved it, nothing is written, and for the next
        `_PG_LOCKING_SECONDS` batches lock the head first (`FOR UPDATE`, one
        transaction): with several busy writers, waiting on the lock costs less than
        chaining batches that lose the race.
        """
        loop = asyncio.get_running_loop()
        if loop.time() >= self._pg_locking_until:
            head = self._pg_head
            self._pg_head = None
            if head is None:
                head = _head_from(await driver.fetchrow(_PG_HEAD))
            plan = self._plan(head, batch)
            if await driver.fetchval(_PG_APPEND, *_pg_args(head, plan)):
                self._pg_head = _moved(plan)
                return plan.results
            self.contended += 1
            self._pg_locking_until = loop.time() + _PG_LOCKING_SECONDS
        self.locked += 1
        self._pg_head = None
        async with driver.transaction():
            head = _head_from(await driver.fetchrow(_PG_LOCK_HEAD))
            plan = self._plan(head, batch)
            if not await driver.fetchval(_PG_APPEND, *_pg_args(head, plan)):
                raise RuntimeError("the audit chain head moved while locked")
        self._pg_head = _moved(plan)
        return plan.results

    def _plan(self, head: _Head, batch: Sequence[_Pending]) -> _Plan:
        """The rows a batch adds on top of `head`: chained hashes, maybe a checkpoint."""
        force = any(p.checkpoint for p in batch)
        results: list[list[int]] = []
        now = self._clock()
        stamp = format_time(now)
        seq, prev = head.seq, head.hash
        entries: list[dict[str, Any]] = []
        for pending in batch:
            seqs: list[int] = []
            for fields in pending.fields:
                seq += 1
                hashed = dict(fields, seq=seq, time=stamp, prev_hash=prev)
                prev = hash_fields(hashed)
                entry = dict(hashed, time=now, hash=prev)
                for name, field_ in _JSON_COLUMNS:
                    entry[name] = column_value(field_, fields[name])
                entries.append(entry)
                seqs.append(seq)
            results.append(seqs)
        checkpoint_row: dict[str, Any] | None = None
        checkpoint_seq, checkpoint_time = head.checkpoint_seq, head.checkpoint_time
        if seq > head.checkpoint_seq and (
            force
            or seq - head.checkpoint_seq >= self._every
            or checkpoint_time is None
            or now - checkpoint_time >= timedelta(seconds=self._interval)
        ):
            checkpoint = sign_checkpoint(
                self._keys, seq=seq, hash=prev, time=now, kind="checkpoint", issuer=self._issuer
            )
            checkpoint_row = {
                "seq": checkpoint.seq,
                "hash": checkpoint.hash,
                "time": now,
                "kind": checkpoint.kind,
                "kid": checkpoint.kid,
                "jws": checkpoint.jws,
            }
            checkpoint_seq, checkpoint_time = seq, now
            for pending, seqs in zip(batch, results, strict=True):
                if pending.checkpoint:
                    seqs.append(seq)
        new_head = {
            "new_seq": seq,
            "new_hash": prev,
            "new_checkpoint_seq": checkpoint_seq,
            "new_checkpoint_time": checkpoint_time,
        }
        return _Plan(entries, checkpoint_row, new_head, results)

    async def _checkpoint_timer(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.checkpoint()
            except AuditUnavailable:
                log.warning("audit_checkpoint_failed", error_type="AuditUnavailable")
