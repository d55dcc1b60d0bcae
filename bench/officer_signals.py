"""Misuse signals at 1M audit entries, against the officer's plain log search, same run.

    .venv/bin/python bench/officer_signals.py [--entries 1000000] [--runs 10]
                                              [--database-url postgresql+asyncpg://127.0.0.1:5432/test]

Seeds `--entries` chained entries over the past year (bench/officer_seed.py: bulk
insert, about a minute for 1M on SQLite), then times `find_signals` (every signal kind,
the configured 28-day window) for one organisation's officer and for a regional
officer, against the baseline of the same officer's first page of the log search
(`search_page`, 50 newest entries). Prints p50/p95 in ms and the ratio to the baseline.
Target: the signals answer under 1 s at 1M entries.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

from sqlalchemy import text  # noqa: E402

from gateway.audit.query import AuditFilters, CursorCodec, Scope  # noqa: E402
from gateway.audit.reader import search_page  # noqa: E402
from gateway.audit.signals import SignalQueries  # noqa: E402
from gateway.auth.keys import KeyStore, init_keys  # noqa: E402
from gateway.insight.config import InsightConfig  # noqa: E402
from gateway.insight.signals import find_signals  # noqa: E402
from gateway.storage.db import create_engine, dispose  # noqa: E402
from gateway.storage.schema import upgrade  # noqa: E402


def _sibling(name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


seed_module = _sibling("officer_seed")


def _p50_p95(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


async def _database(url: str | None) -> tuple[str, str | None]:
    if url is None or url.startswith("sqlite"):
        folder = tempfile.mkdtemp(prefix="gw-bench-signals-")
        return f"sqlite+aiosqlite:///{folder}/bench.db", None
    name = "gw_bench_" + secrets.token_hex(4)
    admin = create_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return f"{url.rsplit('/', 1)[0]}/{name}", name


async def run(args: argparse.Namespace) -> None:
    url, pg_name = await _database(args.database_url)
    keys_dir = Path(tempfile.mkdtemp(prefix="gw-bench-keys-")) / "keys"
    init_keys(keys_dir)
    keys = KeyStore.load(keys_dir)
    engine = create_engine(url, pool_size=5)
    try:
        await upgrade(engine)
        now = datetime.now(UTC)
        started = time.perf_counter()
        await seed_module.seed(  # type: ignore[attr-defined]
            engine, args.entries, start=now - timedelta(days=365), span=timedelta(days=365)
        )
        print(f"database: {engine.dialect.name}; seeded {args.entries:,} entries in "
              f"{time.perf_counter() - started:.0f}s")  # fmt: skip
        config = InsightConfig()
        queries = SignalQueries(engine)
        codec = CursorCodec.from_secret(keys.pseudonym_secret)
        scopes = {
            "organisation": Scope(frozenset({"wijkteam-utrecht"})),
            "region": Scope(frozenset(list(seed_module.ORGS)[:4])),  # type: ignore[attr-defined]
        }
        for name, scope in scopes.items():
            base, sig, found = [], [], 0
            for _ in range(args.runs):
                t0 = time.perf_counter()
                async with engine.connect() as conn:
                    await search_page(conn, codec, AuditFilters(), scope, limit=50)
                base.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                found = len(await find_signals(queries, scope, datetime.now(UTC), config.signals,
                                               config.working_hours))  # fmt: skip
                sig.append((time.perf_counter() - t0) * 1000)
            b50, b95 = _p50_p95(base)
            s50, s95 = _p50_p95(sig)
            print(f"{name:<12} log search page  p50 {b50:8.1f} ms  p95 {b95:8.1f} ms")
            print(f"{name:<12} signals ({found:>4})  p50 {s50:8.1f} ms  p95 {s95:8.1f} ms  "
                  f"ratio p95 signals/search {s95 / b95:.1f}  target p95 < 1000 ms: "
                  f"{'met' if s95 < 1000 else 'NOT met'}")  # fmt: skip
    finally:
        await dispose(engine)
        if pg_name is not None and args.database_url is not None:
            admin = create_engine(args.database_url).execution_options(isolation_level="AUTOCOMMIT")
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
            await admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--database-url")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
