"""The `AuditReader` on a real database: the one way the log is queried (officer API,
household view, CLI), returning typed values a JSON route and a page can share."""

from __future__ import annotations

from pathlib import Path

from audit_support import decision
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.audit.query import AuditFilters, Scope
from gateway.audit.reader import AuditReader, SqlAuditReader
from gateway.audit.writer import AuditLog
from gateway.auth.keys import KeyStore

ALL = Scope(None)
WIJKTEAM = Scope(frozenset({"wijkteam-utrecht"}))
NOBODY = Scope(frozenset())


async def _filled(audit_log: AuditLog) -> None:
    await audit_log.append([decision(n) for n in range(6)])
    await audit_log.append([decision(6, requester_org="gi-jeugdbescherming", source="ggd")])


def _reader(engine: AsyncEngine, keys: KeyStore) -> AuditReader:
    return SqlAuditReader(engine, keys)  # checked against the port by mypy, here at runtime


async def test_search_and_count_agree_within_the_scope(
    audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore
) -> None:
    await _filled(audit_log)
    reader = _reader(engine, keys)
    assert await reader.count(AuditFilters(), ALL) == 7
    assert await reader.count(AuditFilters(), WIJKTEAM) == 6
    assert await reader.count(AuditFilters(), NOBODY) == 0
    first = await reader.search(AuditFilters(), WIJKTEAM, limit=4)
    assert [e.seq for e in first.entries] == [6, 5, 4, 3] and first.next_cursor
    rest = await reader.search(AuditFilters(), WIJKTEAM, limit=4, cursor=first.next_cursor)
    assert [e.seq for e in rest.entries] == [2, 1] and rest.next_cursor is None


async def test_an_entry_outside_the_scope_is_none(
    audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore
) -> None:
    await _filled(audit_log)
    reader = _reader(engine, keys)
    entry = await reader.entry(7, ALL)
    assert entry is not None and entry.requester_org == "gi-jeugdbescherming"
    assert await reader.entry(7, WIJKTEAM) is None
    assert await reader.entry(1, NOBODY) is None
    assert await reader.entry(99, ALL) is None


async def test_checkpoints_verify_and_export_read_the_same_log(
    audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore, tmp_path: Path
) -> None:
    await _filled(audit_log)
    await audit_log.checkpoint()
    reader = _reader(engine, keys)
    (newest,) = await reader.checkpoints(limit=1)
    assert newest.seq == 7
    report = await reader.verify()
    assert report.ok and report.entries == 7
    summary = await reader.export(tmp_path / "audit.jsonl")
    assert summary.entries == 7
