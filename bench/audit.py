"""Audit-log benchmark: chained appends vs plain inserts, and search latency over many entries.

    .venv/bin/python bench/audit.py [--database-url URL] [--entries 1000000] [--appends 20000]
                                    [--processes 1,2,4]

Appends: 64 concurrent writers, each appending one entry per call, through
`AuditLog` (group commit, hash chain, head lock, checkpoints). Baseline, same run,
same rows: plain inserts into an identical table (same columns and indexes) in
batches of 100 per transaction, no hashing, no lock. Search: `--entries` generated
entries (5 organisations, 20,000 subjects, 2% break-the-glass, a year of times),
then the privacy officer's common queries, 50 runs each, p50 and p95.
`--processes 1,2,4` (PostgreSQL): the chain's ceiling with that many writer processes
at once on one database (each `--writers` concurrent appenders): entries/s, batches/s,
mean batch, how often a batch found the head moved by another process (chained again)
or locked it, and how many backends waited on a lock (sampled from pg_stat_activity).
For PostgreSQL, URL names a server database it may create others next to
(postgresql+asyncpg://127.0.0.1:5432/test); a scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# This folder holds bench/consent.py etc.; keep it from shadowing the packages of the same name.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from sqlalchemy import MetaData, insert, text, update  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from gateway.audit.canonical import hash_fields  # noqa: E402
from gateway.audit.model import GENESIS_HASH, AuditEvent, format_time  # noqa: E402
from gateway.audit.query import AuditFilters, CursorCodec, Scope  # noqa: E402
from gateway.audit.reader import search_page, unreviewed_break_glass  # noqa: E402
from gateway.audit.storage import json_list, json_object  # noqa: E402
from gateway.audit.tables import audit_chain_head, audit_entries  # noqa: E402
from gateway.audit.writer import AuditLog  # noqa: E402
from gateway.auth.keys import KeyStore, init_keys  # noqa: E402
from gateway.storage.db import create_engine, dispose  # noqa: E402
from gateway.storage.schema import upgrade  # noqa: E402

ORGS = ["wijkteam-utrecht", "veilig-thuis-utrecht", "gi-jeugdbescherming-demo",
        "rvdk-midden-nederland", "rvt-utrecht-proeftuin"]  # fmt: skip
PURPOSES = [
    "support_planning", "joint_problem_analysis", "safety_assessment",
    "child_protection_investigation", "protection_measure_execution", "acute_safety",
]  # fmt: skip
CATEGORIES = ["contact_details", "household_composition", "support_plan", "reports", "school"]
SUBJECTS = 20_000


def event(rng: random.Random, n: int) -> AuditEvent:
    purpose = rng.choice(PURPOSES)
    glass = purpose == "acute_safety" and rng.random() < 0.1
    deny = rng.random() < 0.2
    return AuditEvent(
        event_type="exchange.decision",
        request_id=f"req_{n:012d}",
        trace_id=f"{n:032x}",
        requester_org=rng.choice(ORGS),
        professional=f"prof-{rng.randrange(500)}",
        role="hulpverlener",
        subject=f"ps_{rng.randrange(SUBJECTS):040x}",
        purpose=purpose,
        source=rng.choice(ORGS),
        category=rng.choice(CATEGORIES),
        decision="deny" if deny else "permit",
        reason="no_rule" if deny else "rule_matched",
        rule_ids=() if deny else (f"rule-{rng.randrange(40)}",),
        legal_basis=None if deny else "public_task",
        policy_version="sha256:0123456789abcdef",
        break_glass=glass,
        justification="Acute dreiging, zie dossier" if glass else None,
        outcome="denied" if deny else "returned",
    )


@asynccontextmanager
async def scratch_database(url: str | None) -> AsyncIterator[str]:
    if url is None or url.startswith("sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        return
    name = "gw_bench_" + secrets.token_hex(4)
    admin = create_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{url.rsplit('/', 1)[0]}/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def bench_appends(
    engine: AsyncEngine,
    keys: KeyStore,
    total: int,
    writers: int,
    stats: dict[str, Any] | None = None,
) -> float:
    log = AuditLog(engine, keys, issuer="bench/audit", checkpoint_every=1000)
    batches: list[tuple[int, float]] = []
    log.observe_batches(lambda items, seconds, _ok: batches.append((items, seconds)))
    await log.start()
    rng = random.Random(1)
    events = [event(rng, n) for n in range(total)]
    per_writer = total // writers

    async def writer(w: int) -> None:
        for i in range(per_writer):
            await log.append([events[w * per_writer + i]])

    started = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    elapsed = time.perf_counter() - started
    await log.close()
    if stats is not None:
        stats.update(entries=per_writer * writers, seconds=elapsed, batches=len(batches),
                     commit_seconds=sum(s for _n, s in batches),
                     contended=log.contended, locked=log.locked)  # fmt: skip
    return per_writer * writers / elapsed


async def child(args: argparse.Namespace) -> None:
    """One writer process of `--processes`: waits for a line on stdin, appends, reports."""
    keys = KeyStore.load(Path(args.keys))
    engine = create_engine(args.database_url, pool_size=20)
    try:
        await bench_appends(engine, keys, 64, 8)  # warm: connections, statements
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        stats: dict[str, Any] = {}
        await bench_appends(engine, keys, args.appends, args.writers, stats)
        print(json.dumps(stats), flush=True)
    finally:
        await dispose(engine)


async def bench_processes(url: str, keys_dir: Path, processes: int, appends: int,
                          writers: int) -> dict[str, float]:  # fmt: skip
    """`processes` writer processes at once on one database: the chain head's ceiling."""
    import asyncpg

    command = [sys.executable, __file__, "--child", "--database-url", url, "--keys",
               str(keys_dir), "--appends", str(appends), "--writers", str(writers)]  # fmt: skip
    children = [
        await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        for _ in range(processes)
    ]
    for proc in children:
        assert proc.stdout is not None
        assert (await proc.stdout.readline()).strip() == b"ready"
    monitor = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    waiting: list[int] = []
    started = time.perf_counter()
    for proc in children:
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
    outputs = [asyncio.create_task(proc.communicate()) for proc in children]
    while not all(task.done() for task in outputs):
        waiting.append(int(await monitor.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )))  # fmt: skip
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started
    await monitor.close()
    stats = [json.loads((await task)[0].decode().strip().splitlines()[-1]) for task in outputs]
    entries = sum(s["entries"] for s in stats)
    batches = sum(s["batches"] for s in stats)
    return {
        "entries_s": entries / elapsed,
        "batches_s": batches / elapsed,
        "batch": entries / max(batches, 1),
        "commit_ms": 1000 * sum(s["commit_seconds"] for s in stats) / max(batches, 1),
        "contended": sum(s["contended"] for s in stats) / max(batches, 1),
        "locked": sum(s["locked"] for s in stats) / max(batches, 1),
        "lock_waiters": statistics.mean(waiting) if waiting else 0.0,
    }


async def bench_plain(engine: AsyncEngine, total: int) -> float:
    plain_md = MetaData()
    plain = audit_entries.to_metadata(plain_md, name="bench_plain")
    for index in plain.indexes:
        index.name = "bench_" + str(index.name)
    plain.primary_key.name = "pk_bench_plain"
    async with engine.begin() as conn:
        await conn.run_sync(plain_md.create_all)
    rng = random.Random(1)
    now = datetime.now(UTC)
    rows = [_row(event(rng, n), n + 1, now, GENESIS_HASH, "0" * 64) for n in range(total)]
    started = time.perf_counter()
    for start in range(0, total, 100):
        async with engine.begin() as conn:
            await conn.execute(insert(plain), rows[start : start + 100])
    return total / (time.perf_counter() - started)


def _row(ev: AuditEvent, seq: int, when: datetime, prev: str, digest: str) -> dict[str, Any]:
    return {
        "seq": seq, "time": when, "event_type": ev.event_type, "request_id": ev.request_id,
        "trace_id": ev.trace_id, "requester_org": ev.requester_org,
        "professional": ev.professional, "role": ev.role, "subject": ev.subject,
        "household": ev.household, "purpose": ev.purpose, "source": ev.source,
        "category": ev.category, "decision": ev.decision, "reason": ev.reason,
        "rule_ids": json_list(ev.rule_ids), "legal_basis": ev.legal_basis,
        "consent_ids": json_list(ev.consent_ids), "policy_version": ev.policy_version,
        "break_glass": ev.break_glass, "justification_ct": None, "justification_kid": None,
        "outcome": ev.outcome, "confidentiality": ev.confidentiality,
        "target_seq": ev.target_seq, "details": json_object(ev.details),
        "prev_hash": prev, "hash": digest,
    }  # fmt: skip


async def generate(engine: AsyncEngine, count: int) -> None:
    """`count` chained entries over the past year, written straight in large batches."""
    async with engine.connect() as conn:
        head = (await conn.execute(text("SELECT seq, hash FROM audit_chain_head"))).one()
    seq, prev = int(head.seq), str(head.hash)
    rng = random.Random(2)
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / max(count, 1)
    for chunk in range(0, count, 10_000):
        rows = []
        for n in range(chunk, min(count, chunk + 10_000)):
            ev = event(rng, n)
            seq += 1
            when = start + step * n
            row = _row(ev, seq, when, prev, "")
            fields = dict(row, time=format_time(when), rule_ids=list(ev.rule_ids),
                          consent_ids=list(ev.consent_ids), details={})  # fmt: skip
            del fields["hash"]
            prev = row["hash"] = hash_fields(fields)
            rows.append(row)
        async with engine.begin() as conn:
            await conn.execute(insert(audit_entries), rows)
    async with engine.begin() as conn:
        await conn.execute(update(audit_chain_head).values(seq=seq, hash=prev))
        if engine.dialect.name == "postgresql":
            await conn.execute(text("ANALYZE audit_entries"))
        else:
            await conn.execute(text("ANALYZE"))


async def bench_search(
    engine: AsyncEngine, keys: KeyStore, runs: int = 50
) -> dict[str, tuple[float, float]]:
    codec = CursorCodec.from_secret(keys.pseudonym_secret)
    rng = random.Random(3)
    now = datetime.now(UTC)
    region = Scope(frozenset(ORGS[:4]))

    def org() -> Scope:
        return Scope(frozenset({rng.choice(ORGS)}))

    def subject() -> str:
        return f"ps_{rng.randrange(SUBJECTS):040x}"

    cases: dict[str, Any] = {
        "organisation (latest 50)": lambda: (AuditFilters(), org()),
        "organisation + purpose": lambda: (AuditFilters(purpose=rng.choice(PURPOSES)), org()),
        "organisation + subject (BSN)": lambda: (AuditFilters(subject=subject()), org()),
        "organisation + last 7 days": lambda: (AuditFilters(since=now - timedelta(days=7)), org()),
        "organisation + one week a month ago": lambda: (
            AuditFilters(since=now - timedelta(days=37), until=now - timedelta(days=30)), org()),
        "organisation + decision deny": lambda: (AuditFilters(decision="deny"), org()),
        "organisation + break-the-glass": lambda: (AuditFilters(break_glass=True), org()),
        "region + subject": lambda: (AuditFilters(subject=subject()), region),
    }  # fmt: skip
    results: dict[str, tuple[float, float]] = {}
    async with engine.connect() as conn:
        for name, make in cases.items():
            timings = []
            for _ in range(runs):
                filters, scope = make()
                started = time.perf_counter()
                page = await search_page(conn, codec, filters, scope, limit=50)
                if page.next_cursor:  # the second page too: paging must stay fast
                    await search_page(
                        conn, codec, filters, scope, limit=50, cursor=page.next_cursor
                    )
                timings.append(
                    (time.perf_counter() - started) * 1000 / (2 if page.next_cursor else 1)
                )
            results[name] = _p50_p95(timings)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            await unreviewed_break_glass(conn, codec, org(), limit=50)
            timings.append((time.perf_counter() - started) * 1000)
        results["unreviewed break-the-glass"] = _p50_p95(timings)
    return results


def _p50_p95(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


async def run(args: argparse.Namespace) -> None:
    async with scratch_database(args.database_url) as url:
        with tempfile.TemporaryDirectory() as folder:
            init_keys(Path(folder) / "keys")
            keys = KeyStore.load(Path(folder) / "keys")
            engine = create_engine(url, pool_size=20)
            try:
                await upgrade(engine)
                print(f"database: {engine.dialect.name}")
                chained = await bench_appends(engine, keys, args.appends, args.writers)
                plain = await bench_plain(engine, args.appends)
                print(f"chained appends ({args.writers} writers, group commit): {chained:,.0f}/s")
                print(f"plain inserts (batches of 100, no chain):           {plain:,.0f}/s")
                print(f"ratio chained/plain: {chained / plain:.2f} (target >= 0.7)")
                if args.processes and engine.dialect.name == "postgresql":
                    for count in (int(n) for n in args.processes.split(",")):
                        r = await bench_processes(url, Path(folder) / "keys", count,
                                                  args.appends // count, args.writers)  # fmt: skip
                        print(f"{count} writer process(es) x {args.writers} writers: "
                              f"{r['entries_s']:,.0f} entries/s = {r['batches_s']:,.0f} batches/s "
                              f"x {r['batch']:.1f}; commit {r['commit_ms']:.2f} ms/batch; "
                              f"head moved by another {100 * r['contended']:.0f}% / locked "
                              f"{100 * r['locked']:.0f}% of batches; backends waiting on a "
                              f"lock {r['lock_waiters']:.2f} on average")  # fmt: skip
                started = time.perf_counter()
                await generate(engine, args.entries)
                print(f"generated {args.entries:,} entries in {time.perf_counter() - started:.0f}s")
                for name, (p50, p95) in (await bench_search(engine, keys)).items():
                    print(f"search {name:<38} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms")
            finally:
                await dispose(engine)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument(
        "--entries", type=int, default=1_000_000, help="entries for the search part"
    )
    parser.add_argument("--appends", type=int, default=20_000)
    parser.add_argument("--writers", type=int, default=64)
    parser.add_argument("--processes", default="", help="PostgreSQL: e.g. 1,2,4 writer processes")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--keys", help=argparse.SUPPRESS)
    args = parser.parse_args()
    asyncio.run(child(args) if args.child else run(args))


if __name__ == "__main__":
    sys.exit(main())
