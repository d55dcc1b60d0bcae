"""Several OS processes on one database, export and offline verification, retention, migrations."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from audit_support import decision, drop_guards
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from support import REPO, GatewayFixture

from gateway.audit.storage import verify_stored
from gateway.audit.tables import audit_entries
from gateway.audit.writer import AuditLog
from gateway.auth.keys import KeyStore
from gateway.cli import main
from gateway.storage.schema import downgrade, upgrade

APPENDER = """
import asyncio, sys
sys.path.insert(0, {tests!r})
from audit_support import decision, drop_guards
from gateway.audit.writer import AuditLog
from gateway.storage.db import create_engine
from gateway.auth.keys import KeyStore
from pathlib import Path

async def run() -> None:
    engine = create_engine({url!r})
    log = AuditLog(engine, KeyStore.load(Path({keys!r})), issuer="test/audit", checkpoint_every=50)
    await log.start()
    async def writer(w: int) -> None:
        for i in range(25):
            await log.append([decision({offset} + w * 100 + i)])
    await asyncio.gather(*(writer(w) for w in range(8)))
    await log.close()
    await engine.dispose()

asyncio.run(run())
"""


@pytest.mark.slow
async def test_two_processes_extend_one_linear_chain(
    gateway: GatewayFixture, engine: AsyncEngine, keys: KeyStore
) -> None:
    def spawn(offset: int) -> subprocess.Popen[bytes]:
        code = APPENDER.format(
            tests=str(REPO / "tests"),
            url=gateway.settings.database_url,
            keys=str(gateway.settings.keys_dir),
            offset=offset,
        )
        return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stderr=subprocess.PIPE)

    processes = [spawn(0), spawn(10_000)]
    for process in processes:
        _, err = await asyncio.to_thread(process.communicate, timeout=120)
        assert process.returncode == 0, err.decode()[-2000:]
    async with engine.connect() as conn:
        rows = (await conn.execute(select(audit_entries.c.seq, audit_entries.c.request_id))).all()
    assert sorted(r.seq for r in rows) == list(range(1, 401))
    both = {int(r.request_id.removeprefix("req_test_")) >= 10_000 for r in rows}
    assert both == {True, False}  # both processes wrote
    report = await verify_stored(engine, keys.jwks())
    assert report.ok, report.summary()
    assert report.entries == 400 and report.checkpoints >= 2


async def _filled(engine: AsyncEngine, keys: KeyStore, count: int = 40) -> None:
    log = AuditLog(engine, keys, issuer="test/audit", checkpoint_every=10, checkpoint_seconds=3600)
    await log.start()
    try:
        for start in range(0, count, 4):
            await log.append([decision(n) for n in range(start, start + 4)])
    finally:
        await log.close()


def _cli(gateway: GatewayFixture, *args: str) -> int:
    return main(["audit", *args, "--data-dir", str(gateway.settings.data_dir),
                 "--config-dir", str(gateway.settings.config_dir)])  # fmt: skip


@pytest.fixture
def cli_env(gateway: GatewayFixture, monkeypatch: pytest.MonkeyPatch) -> GatewayFixture:
    monkeypatch.setenv("GATEWAY_DATABASE_URL", gateway.settings.database_url)
    monkeypatch.setenv("GATEWAY_LOG_FORMAT", "json")
    return gateway


async def test_export_verifies_offline_with_only_the_file_and_the_jwks(
    cli_env: GatewayFixture,
    engine: AsyncEngine,
    keys: KeyStore,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await _filled(engine, keys)
    out, jwks = tmp_path / "audit.jsonl", tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks()))
    assert await asyncio.to_thread(_cli, cli_env, "export", "--out", str(out)) == 0
    assert await asyncio.to_thread(_cli, cli_env, "verify") == 0
    assert main(["audit", "verify", "--export", str(out), "--jwks", str(jwks)]) == 0
    assert "ok: 40 entries" in capsys.readouterr().out

    lines = out.read_text().splitlines()
    entry_lines = [i for i, line in enumerate(lines) if '"type":"entry"' in line]
    tampered = list(lines)
    record = json.loads(tampered[entry_lines[6]])
    record["decision"] = "deny"
    tampered[entry_lines[6]] = json.dumps(record)
    changed = tmp_path / "changed.jsonl"
    changed.write_text("\n".join(tampered) + "\n")
    assert main(["audit", "verify", "--export", str(changed), "--jwks", str(jwks)]) == 1
    assert "first bad seq 7" in capsys.readouterr().out

    swapped = list(lines)
    a, b = entry_lines[3], entry_lines[4]
    swapped[a], swapped[b] = swapped[b], swapped[a]
    reordered = tmp_path / "reordered.jsonl"
    reordered.write_text("\n".join(swapped) + "\n")
    assert main(["audit", "verify", "--export", str(reordered), "--jwks", str(jwks)]) == 1
    assert "first bad seq 4" in capsys.readouterr().out

    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(lines[: entry_lines[35]]) + "\n")  # seq 1..35; signed up to 40
    assert main(["audit", "verify", "--export", str(cut), "--jwks", str(jwks)]) == 1
    assert "first bad seq 36" in capsys.readouterr().out

    other_keys = tmp_path / "other.json"
    other_keys.write_text(json.dumps({"keys": []}))
    assert main(["audit", "verify", "--export", str(out), "--jwks", str(other_keys)]) == 1


@pytest.mark.parametrize(
    "content", ["", "not json\n", '{"a": 1}\n', "\x00\x01binary", '{"type":"entry"}\n']
)
def test_a_file_that_is_not_an_export_is_one_line_exit_1(
    content: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus, jwks = tmp_path / "bogus.jsonl", tmp_path / "jwks.json"
    bogus.write_text(content)
    jwks.write_text('{"keys": []}')
    assert main(["audit", "verify", "--export", str(bogus), "--jwks", str(jwks)]) == 1
    err = capsys.readouterr().err
    assert "not an audit export" in err and err.count("\n") == 1 and "Traceback" not in err


def test_verify_export_without_jwks_is_usage_error(tmp_path: Path) -> None:
    assert main(["audit", "verify", "--export", str(tmp_path / "x.jsonl")]) == 2


async def test_prune_keeps_a_signed_anchor_so_the_rest_verifies(
    cli_env: GatewayFixture, engine: AsyncEngine, keys: KeyStore, tmp_path: Path
) -> None:
    await _filled(engine, keys, 20)
    assert await asyncio.to_thread(_cli, cli_env, "prune", "--before", "2000-01-01") == 0
    future = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert await asyncio.to_thread(_cli, cli_env, "prune", "--before", future) == 0
    async with engine.connect() as conn:
        remaining = (await conn.execute(select(audit_entries.c.event_type))).scalars().all()
    assert remaining == ["audit.pruned"]  # everything older went; the prune itself is logged
    report = await verify_stored(engine, keys.jwks())
    assert report.ok, report.summary()
    assert report.first_seq == 21
    out, jwks = tmp_path / "after.jsonl", tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks()))
    assert await asyncio.to_thread(_cli, cli_env, "export", "--out", str(out)) == 0
    assert main(["audit", "verify", "--export", str(out), "--jwks", str(jwks)]) == 0
    assert _cli(cli_env, "prune", "--before", "yesterday") == 2


async def test_prune_refuses_a_tampered_chain(
    cli_env: GatewayFixture, engine: AsyncEngine, keys: KeyStore
) -> None:
    await _filled(engine, keys, 8)
    async with engine.begin() as conn:
        await drop_guards(conn)
        await conn.execute(text("UPDATE audit_entries SET decision = 'deny' WHERE seq = 2"))
    future = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert await asyncio.to_thread(_cli, cli_env, "prune", "--before", future) == 1


async def test_migration_downgrades_and_upgrades_again(engine: AsyncEngine) -> None:
    await downgrade(engine, "0002_consent")
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(c.dialect.get_table_names(c)))
    assert not {"audit_entries", "audit_chain_head", "audit_checkpoints"} & tables
    await upgrade(engine)
    async with engine.connect() as conn:
        head = (await conn.execute(text("SELECT seq, hash FROM audit_chain_head"))).one()
    assert head.seq == 0 and head.hash == "0" * 64
