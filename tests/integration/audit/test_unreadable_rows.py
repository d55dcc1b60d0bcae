"""A database administrator who writes a value the gateway cannot read into an audit row.

Changing a value to another of its type is caught by the hash (test_tamper_every_column);
this is the other class: a text column rewritten to something that is not the JSON the
entry keeps there, or a time that is not a time. The verifier, the export and the CLI
report the entry as changed at its seq; no reader answers 500 or prints a traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestClient
from audit_support import decision, drop_guards
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from support import GatewayFixture

from gateway.appkeys import AUDIT
from gateway.audit.export import ExportError, export_log
from gateway.audit.storage import verify_stored
from gateway.audit.writer import AuditLog
from gateway.auth.keys import KeyStore
from gateway.cli import main

Client = TestClient[web.Request, web.Application]
OFFICER = ("wijkteam-utrecht", "privacy_officer")

# (column, a value of the column's SQL type that is not what the entry keeps there)
UNREADABLE = [
    ("rule_ids", "not json ["),
    ("consent_ids", '{"an": "object, not a list"}'),
    ("details", "[1, 2]"),
    ("details", "{"),
]


@pytest.fixture
def keep_log_config() -> Iterator[None]:
    """The CLI configures logging onto the captured stderr; later tests need it back."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


#: SQLite keeps any text in any column, also a time that is no time.
SQLITE_ONLY = [("time", "not a time"), ("time", "")]


async def _rewrite(engine: AsyncEngine, seq: int, column: str, value: str) -> None:
    async with engine.begin() as conn:
        await drop_guards(conn)
        # Raw SQL: the table's own types would refuse (or convert) the value.
        statement = f"UPDATE audit_entries SET {column} = :value WHERE seq = :seq"  # noqa: S608
        await conn.execute(text(statement), {"value": value, "seq": seq})


@pytest.mark.parametrize(("column", "value"), UNREADABLE + SQLITE_ONLY)
async def test_an_unreadable_value_is_a_changed_entry_at_its_seq(
    audit_log: AuditLog,
    engine: AsyncEngine,
    keys: KeyStore,
    tmp_path: Path,
    column: str,
    value: str,
) -> None:
    if column in dict(SQLITE_ONLY) and engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's typed columns refuse the value")
    await audit_log.append([decision(n) for n in range(1, 7)])
    await _rewrite(engine, 3, column, value)
    report = await verify_stored(engine, keys.jwks())
    assert not report.ok
    assert report.first_bad_seq == 3
    assert report.problems[0].kind == "unreadable"
    out = tmp_path / "exports"
    out.mkdir()
    with pytest.raises(ExportError, match="entry 3"):  # an export of a broken log is refused
        await export_log(engine, out / "export.jsonl")
    assert list(out.iterdir()) == []  # not even a partial file


@pytest.mark.parametrize(("column", "value"), [UNREADABLE[0], SQLITE_ONLY[0]])
async def test_the_verify_route_reports_an_unreadable_entry_not_a_500(
    client: Client, gateway: GatewayFixture, column: str, value: str
) -> None:
    audit = client.app[AUDIT]
    if column in dict(SQLITE_ONLY) and audit.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's typed columns refuse the value")
    await audit.append([decision(n) for n in range(4)])
    await _rewrite(audit.engine, 2, column, value)
    response = await client.get("/api/v1/audit/verify", headers=gateway.auth(*OFFICER))
    assert response.status == 200, await response.text()
    report: dict[str, Any] = await response.json()
    assert report["ok"] is False and report["first_bad_seq"] == 2
    listed = await client.get("/api/v1/audit/entries", headers=gateway.auth(*OFFICER))
    # The officer's list cannot show an entry it cannot read: 503, never a 500.
    assert listed.status == 503, await listed.text()
    assert (await listed.json())["code"] == "audit_unavailable"


async def test_the_cli_verify_and_export_exit_1_on_an_unreadable_entry(
    audit_log: AuditLog,
    engine: AsyncEngine,
    gateway: GatewayFixture,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    keep_log_config: None,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("GATEWAY_DATABASE_URL", gateway.settings.database_url)
    await audit_log.append([decision(n) for n in range(1, 7)])
    await _rewrite(engine, 4, "rule_ids", "not json [")
    argv = ["audit", "verify", "--data-dir", str(gateway.settings.data_dir),
            "--config-dir", str(gateway.settings.config_dir)]  # fmt: skip
    assert await asyncio.to_thread(main, argv) == 1
    captured = capsys.readouterr()
    assert "first bad seq 4" in captured.out
    assert "Traceback" not in captured.err + captured.out
    out = tmp_path / "export.jsonl"
    argv[1] = "export"
    assert await asyncio.to_thread(main, [*argv, "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "entry 4 cannot be read" in captured.err and "Traceback" not in captured.err
    assert not out.exists()


async def test_a_checkpoint_or_head_row_that_cannot_be_read_is_reported_not_a_500(
    client: Client, gateway: GatewayFixture
) -> None:
    """SQLite keeps text in any column: a checkpoint's time, the head's seq."""
    audit = client.app[AUDIT]
    if audit.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's typed columns refuse the value")
    await audit.append([decision(n) for n in range(6)])  # the first batch is signed
    async with audit.engine.begin() as conn:
        await drop_guards(conn)
        await conn.execute(text("UPDATE audit_checkpoints SET time = 'not a time'"))
    response = await client.get("/api/v1/audit/verify", headers=gateway.auth(*OFFICER))
    assert response.status == 200, await response.text()
    report: dict[str, Any] = await response.json()
    assert report["ok"] is False
    assert [p["kind"] for p in report["problems"]] == ["checkpoint_invalid"]
    listed = await client.get("/api/v1/audit/checkpoints", headers=gateway.auth(*OFFICER))
    assert listed.status == 503, await listed.text()
    assert (await listed.json())["code"] == "audit_unavailable"
    async with audit.engine.begin() as conn:
        await conn.execute(text("UPDATE audit_chain_head SET seq = 'six'"))
    # Nothing can be appended on that head, so the audited route refuses (fail closed) ...
    response = await client.get("/api/v1/audit/verify", headers=gateway.auth(*OFFICER))
    assert response.status == 503, await response.text()
    assert (await response.json())["code"] == "audit_unavailable"
    # ... and the verifier (as the CLI runs it) names the head.
    stored = await verify_stored(audit.engine, audit.keys.jwks())
    assert not stored.ok
    assert "head_mismatch" in [p.kind for p in stored.problems]
