"""Exports carry the chain head and are sealed by a checkpoint; a witness shows what is left."""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from audit_support import decision, drop_guards
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine
from support import GatewayFixture

from gateway.audit.storage import read_checkpoints, verify_stored
from gateway.audit.tables import audit_chain_head, audit_checkpoints, audit_entries
from gateway.audit.writer import AuditLog
from gateway.auth.keys import KeyStore
from gateway.cli import main


@pytest.fixture
def cli_env(gateway: GatewayFixture, monkeypatch: pytest.MonkeyPatch) -> Iterator[GatewayFixture]:
    monkeypatch.setenv("GATEWAY_DATABASE_URL", gateway.settings.database_url)
    monkeypatch.setenv("GATEWAY_LOG_FORMAT", "json")
    saved = structlog.get_config()  # the CLI configures logging onto captured streams
    yield gateway
    structlog.configure(**saved)


def cli(gateway: GatewayFixture, *args: str) -> int:
    return main(["audit", *args, "--data-dir", str(gateway.settings.data_dir),
                 "--config-dir", str(gateway.settings.config_dir)])  # fmt: skip


async def filled(engine: AsyncEngine, keys: KeyStore, count: int = 40) -> None:
    """`count` entries, checkpoints every 10, the last few not covered yet (a crash)."""
    log = AuditLog(engine, keys, issuer="test/audit", checkpoint_every=10, checkpoint_seconds=3600)
    await log.start()
    for start in range(0, count, 4):
        await log.append([decision(n) for n in range(start, start + 4)])
    # No close(): leave the newest entries unsealed, as a kill -9 would. What close()
    # does, minus its checkpoint: stop the timer, let the queued appends commit.
    log._accepting = False
    if log._timer is not None:
        log._timer.cancel()
    await log._writer.drain()


def records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


async def test_export_seals_the_head_and_a_file_cut_short_is_caught(
    cli_env: GatewayFixture, engine: AsyncEngine, keys: KeyStore, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    await filled(engine, keys, 36)  # checkpoints at 4, 16 and 28; 29..36 unsealed
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.max(audit_checkpoints.c.seq)))).scalar() == 28
    out, jwks = tmp_path / "audit.jsonl", tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks()))
    assert await asyncio.to_thread(cli, cli_env, "export", "--out", str(out)) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = records(out)
    assert rows[0]["head"] == {"seq": 36, "hash": rows[-1]["hash"]}
    assert [r["seq"] for r in rows if r["type"] == "checkpoint"] == [4, 16, 28, 36]  # sealed
    capsys.readouterr()

    entries_cut = write(tmp_path / "cut.jsonl", rows[:-3])  # entries 34..36 gone
    assert main(["audit", "verify", "--export", str(entries_cut), "--jwks", str(jwks)]) == 1
    assert "first bad seq 34" in capsys.readouterr().out

    without_checkpoint = [r for r in rows[:-3] if r["type"] != "checkpoint" or r["seq"] != 36]
    head_only = write(tmp_path / "head.jsonl", without_checkpoint)  # the header still says 36
    assert main(["audit", "verify", "--export", str(head_only), "--jwks", str(jwks)]) == 1
    out_text = capsys.readouterr().out
    assert "first bad seq 34" in out_text and "chain head names 36" in out_text


async def test_a_consistently_shortened_export_passes_alone_but_not_against_a_witness(
    cli_env: GatewayFixture, engine: AsyncEngine, keys: KeyStore, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    await filled(engine, keys, 40)
    out, jwks = tmp_path / "audit.jsonl", tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks()))
    assert await asyncio.to_thread(cli, cli_env, "export", "--out", str(out)) == 0
    rows = records(out)
    # Keep entries 1..28 and only the checkpoints up to 28; say so in the header.
    kept = [r for r in rows[1:] if int(r["seq"]) <= 28]  # type: ignore[call-overload]
    last = kept[-1]
    assert last["type"] == "entry"
    header = dict(rows[0], head={"seq": 28, "hash": last["hash"]})
    forged = write(tmp_path / "forged.jsonl", [header, *kept])
    assert main(["audit", "verify", "--export", str(forged), "--jwks", str(jwks)]) == 0

    async with engine.connect() as conn:
        witnessed = [c.to_json() for c in await read_checkpoints(conn)]
    witness = tmp_path / "witness.json"
    witness.write_text(json.dumps({"checkpoints": witnessed, "jwks_uri": "x"}))
    capsys.readouterr()
    args = ["audit", "verify", "--export", str(forged), "--jwks", str(jwks)]
    assert main([*args, "--witness", str(witness)]) == 1
    assert "first bad seq 29" in capsys.readouterr().out


async def test_a_witness_catches_a_dba_who_cut_the_tail_and_rewrote_head_and_checkpoints(
    cli_env: GatewayFixture, engine: AsyncEngine, keys: KeyStore, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    await filled(engine, keys, 40)
    async with engine.connect() as conn:
        witnessed = [c.to_json() for c in await read_checkpoints(conn)]
        hash_28 = (
            await conn.execute(select(audit_entries.c.hash).where(audit_entries.c.seq == 28))
        ).scalar_one()
    newest = max(int(c["seq"]) for c in witnessed)  # type: ignore[call-overload]
    assert newest > 28
    async with engine.begin() as conn:
        await drop_guards(conn)
        await conn.execute(text("DELETE FROM audit_entries WHERE seq > 28"))
        await conn.execute(text("DELETE FROM audit_checkpoints WHERE seq > 28"))
        await conn.execute(update(audit_chain_head).values(seq=28, hash=hash_28, checkpoint_seq=28))
    assert (await verify_stored(engine, keys.jwks())).ok  # the documented limit
    witness = tmp_path / "witness.json"
    witness.write_text(json.dumps({"checkpoints": witnessed}))
    capsys.readouterr()
    assert await asyncio.to_thread(cli, cli_env, "verify", "--witness", str(witness)) == 1
    assert "first bad seq 29" in capsys.readouterr().out


def test_a_witness_that_is_not_a_checkpoint_list_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "witness.json"
    bogus.write_text('{"checkpoints": [{"seq": 1}]}')
    args = ["audit", "verify", "--export", "x.jsonl", "--jwks", "j.json", "--witness", str(bogus)]
    assert main(args) == 2
    assert "not a checkpoint list" in capsys.readouterr().err
