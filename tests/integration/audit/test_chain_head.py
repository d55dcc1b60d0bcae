"""The chain's end against the head row: a cut tail, a forged head, a clean stop's checkpoint."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestClient
from audit_support import decision, drop_guards
from sqlalchemy import Executable, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine
from support import GatewayFixture

from gateway.appkeys import AUDIT
from gateway.audit.storage import verify_stored
from gateway.audit.tables import audit_chain_head, audit_checkpoints, audit_entries
from gateway.audit.writer import AuditLog
from gateway.auth.keys import KeyStore
from gateway.cli import main

Client = TestClient[web.Request, web.Application]


async def fill(log: AuditLog, count: int = 30, per_call: int = 5) -> None:
    for start in range(0, count, per_call):
        await log.append([decision(n) for n in range(start, start + per_call)])


async def tamper(engine: AsyncEngine, *statements: str | Executable) -> None:
    """What a database administrator could do: drop the guards, then change rows."""
    async with engine.begin() as conn:
        await drop_guards(conn)
        for statement in statements:
            await conn.execute(text(statement) if isinstance(statement, str) else statement)


def set_head(**values: object) -> Executable:
    return update(audit_chain_head).where(audit_chain_head.c.id == 1).values(**values)


async def entry_hash(engine: AsyncEngine, seq: int) -> str:
    async with engine.connect() as conn:
        value = (
            await conn.execute(select(audit_entries.c.hash).where(audit_entries.c.seq == seq))
        ).scalar_one()
    return str(value)


async def test_deleting_the_newest_entries_after_the_last_checkpoint_is_a_tail_cut(
    audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore
) -> None:
    await fill(audit_log, 30)  # signed checkpoints at 5, 15 and 25; 26..30 only chained
    await tamper(engine, "DELETE FROM audit_entries WHERE seq > 27")
    report = await verify_stored(engine, keys.jwks())
    assert not report.ok
    assert report.first_bad_seq == 28
    assert [p.kind for p in report.problems] == ["tail_cut"]
    assert "28" in report.summary() and "30" in report.problems[0].message


async def test_deleting_every_entry_after_the_last_checkpoint_is_a_tail_cut(
    audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore
) -> None:
    await fill(audit_log, 30)
    await tamper(engine, "DELETE FROM audit_entries WHERE seq > 25")
    report = await verify_stored(engine, keys.jwks())
    assert report.first_bad_seq == 26 and {p.kind for p in report.problems} == {"tail_cut"}


async def test_a_head_whose_hash_is_not_the_last_entrys_is_reported(
    audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore
) -> None:
    await fill(audit_log, 30)
    await tamper(engine, set_head(hash="ab" * 32))
    report = await verify_stored(engine, keys.jwks())
    assert report.first_bad_seq == 30
    assert [p.kind for p in report.problems] == ["head_mismatch"]


async def test_entries_beyond_the_head_are_reported(
    audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore
) -> None:
    await fill(audit_log, 30)
    forged_head = await entry_hash(engine, 27)
    await tamper(engine, set_head(seq=27, hash=forged_head))
    report = await verify_stored(engine, keys.jwks())
    assert report.first_bad_seq == 28
    assert [p.kind for p in report.problems] == ["beyond_head"]


async def test_a_gap_before_the_head_is_reported_at_the_missing_seq(
    audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore
) -> None:
    await fill(audit_log, 30)
    await tamper(engine, "DELETE FROM audit_entries WHERE seq = 28")
    report = await verify_stored(engine, keys.jwks())
    assert report.first_bad_seq == 28 and report.problems[0].kind == "missing"


async def test_a_deleted_head_row_is_reported(
    audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore
) -> None:
    await fill(audit_log, 10)
    await tamper(engine, "DELETE FROM audit_chain_head")
    report = await verify_stored(engine, keys.jwks())
    assert not report.ok and [p.kind for p in report.problems] == ["head_missing"]


async def test_cutting_the_tail_and_rewriting_the_head_between_checkpoints_is_not_seen(
    audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore
) -> None:
    """The documented limit (docs/audit.md): only a witness of a later checkpoint shows it."""
    await fill(audit_log, 30)
    forged_head = await entry_hash(engine, 27)
    await tamper(
        engine,
        "DELETE FROM audit_entries WHERE seq > 27",
        set_head(seq=27, hash=forged_head),
    )
    report = await verify_stored(engine, keys.jwks())
    assert report.ok and report.last_seq == 27
    assert report.last_checkpoint is not None and report.last_checkpoint.seq == 25


async def test_verify_during_concurrent_appends_sees_no_cut(
    audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore
) -> None:
    """Head and entries are read from one snapshot: appends in between are no tail cut."""
    await fill(audit_log, 200, per_call=50)

    async def writer() -> None:
        for n in range(60):
            await audit_log.append([decision(1000 + n)])

    task = asyncio.create_task(writer())
    reports = []
    while not task.done():
        reports.append(await verify_stored(engine, keys.jwks()))
    await task
    reports.append(await verify_stored(engine, keys.jwks()))
    assert all(r.ok for r in reports), [r.summary() for r in reports if not r.ok]
    assert reports[-1].last_seq == 260


async def test_a_clean_stop_signs_a_checkpoint_that_covers_every_entry(
    engine: AsyncEngine, keys: KeyStore
) -> None:
    log = AuditLog(engine, keys, issuer="test/audit", checkpoint_every=1000)
    await log.start()
    await log.append([decision(1)])  # the first batch is signed (no checkpoint yet)
    await log.append([decision(n) for n in range(2, 8)])
    await log.close()
    async with engine.connect() as conn:
        newest = (await conn.execute(select(func.max(audit_checkpoints.c.seq)))).scalar()
        head = (await conn.execute(select(audit_chain_head.c.seq))).scalar()
    assert newest == head == 7
    report = await verify_stored(engine, keys.jwks())
    assert report.ok and report.last_checkpoint is not None and report.last_checkpoint.seq == 7
    await tamper(engine, "DELETE FROM audit_entries WHERE seq > 5")
    cut = await verify_stored(engine, keys.jwks())
    assert cut.first_bad_seq == 6 and "truncated" in {p.kind for p in cut.problems}


async def test_closing_a_log_that_never_started_writes_nothing(
    engine: AsyncEngine, keys: KeyStore
) -> None:
    log = AuditLog(engine, keys, issuer="test/audit")
    await log.close()
    async with engine.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(audit_checkpoints))).scalar()
    assert count == 0


@pytest.fixture
def keep_log_config() -> Iterator[None]:
    """The CLI configures logging onto the captured stderr; later tests need it back."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def _cli_verify(gateway: GatewayFixture) -> int:
    return main(["audit", "verify", "--data-dir", str(gateway.settings.data_dir),
                 "--config-dir", str(gateway.settings.config_dir)])  # fmt: skip


async def test_cli_verify_exits_1_naming_the_first_missing_seq_of_a_cut_tail(
    audit_log: AuditLog,
    engine: AsyncEngine,
    gateway: GatewayFixture,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    keep_log_config: None,
) -> None:
    monkeypatch.setenv("GATEWAY_DATABASE_URL", gateway.settings.database_url)
    await fill(audit_log, 30)
    assert await asyncio.to_thread(_cli_verify, gateway) == 0
    capsys.readouterr()
    await tamper(engine, "DELETE FROM audit_entries WHERE seq > 27")
    assert await asyncio.to_thread(_cli_verify, gateway) == 1
    out = capsys.readouterr().out
    assert "first bad seq 28" in out and "chain head names 30" in out


async def test_api_verify_is_not_ok_after_a_cut_tail(
    client: Client, gateway: GatewayFixture
) -> None:
    audit = client.app[AUDIT]
    await audit.append([decision(n) for n in range(5)])  # the first batch is signed
    await audit.append([decision(n) for n in range(5, 9)])
    await tamper(audit.engine, "DELETE FROM audit_entries WHERE seq > 6")
    response = await client.get(
        "/api/v1/audit/verify", headers=gateway.auth("wijkteam-utrecht", "privacy_officer")
    )
    assert response.status == 200
    report: dict[str, Any] = await response.json()
    assert report["ok"] is False and report["first_bad_seq"] == 7
    assert report["problems"][0]["kind"] == "tail_cut"
    assert report["head"]["seq"] == 9 and report["last_seq"] == 6
