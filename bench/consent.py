"""Benchmark: the consent check (`SqlConsentStore.covers`) on a large database.

Run: .venv/bin/python bench/consent.py [--households N] [--consents M] [--checks K]
     [--engines sqlite,postgresql] [--postgres-url URL]

Builds a fresh, migrated database per engine (SQLite file in a temporary
directory; a throw-away PostgreSQL database on the server named by
`--postgres-url` or `GATEWAY_TEST_DATABASE_URL`), fills it with N synthetic
households (two parents with custody, one to three children, ages spread so that
every age rule occurs) and M consents in every state (active, refused, withdrawn,
superseded, expired), using bulk inserts (executemany on SQLite, COPY on
PostgreSQL), then ANALYZEs. It then times, in the same run and through the same
async engine:

- the baseline: a bare primary-key `SELECT * FROM consents WHERE id = ?` on the same
  engine and the same execution path as the check (`consent._fastread.CheckReader`:
  pooled connection, autocommit on PostgreSQL, statement compiled once, run on the
  driver connection); also shown: the same SELECT through SQLAlchemy Core's result
  layer;
- `covers(...)`: one check for a random person (one statement over three indexes,
  then evaluation in memory);
- `covers_many(...)`: 32 items (4 sources x 8 categories) for one person.

The three are timed per call, interleaved (baseline, check, batch for the same random
person in each of K iterations, after a warm-up), so that they share load and cache
state; it prints median, p95 and p99 and the ratio of the check's median to the
baseline's. The target is a check under 1 ms median on both engines. Defaults:
100,000 households and 1,000,000 consents (the full run takes a few minutes; use
e.g. --households 2000 --consents 20000 for a quick one).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select, text

# This script is named like the package it measures: keep its own folder off the
# import path so that `import consent` finds the package, not this file.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from consent import AgeRules, RequesterRef, SourceRef, SqlConsentStore  # noqa: E402
from consent._fastread import CheckReader  # noqa: E402
from consent.tables import consents  # noqa: E402
from gateway.storage.db import create_engine  # noqa: E402
from gateway.storage.schema import upgrade  # noqa: E402

NOW = datetime.now(UTC)
PURPOSES = ["support_planning", "joint_problem_analysis", "safety_assessment"]
CATEGORIES = [
    "contact_details",
    "household_composition",
    "support_plan",
    "safety_assessment",
    "school",
    "health",
    "finances",
    "reports",
]
TYPES = ["wijkteam", "veilig_thuis", "gi", "rvdk", "rvt"]
ORGS = [
    ("wijkteam-utrecht", "wijkteam"),
    ("veilig-thuis-utrecht", "veilig_thuis"),
    ("gi-jeugdbescherming-demo", "gi"),
    ("rvt-utrecht-proeftuin", "rvt"),
]
STATUSES = ["active"] * 7 + ["refused", "withdrawn", "superseded"]
CHUNK = 20_000

MEMBER_COLS = ["household_id", "person", "birth_date", "role", "since", "until_at"]
CUSTODY_COLS = ["household_id", "parent", "child", "since", "until_at", "confirmed_at"]
CONSENT_COLS = [
    "id", "subject", "given_by", "giver_role", "decision", "status", "scope_key", "purposes",
    "categories", "recipient_organisations", "recipient_types", "source_organisations",
    "source_types", "given_at", "valid_from", "valid_until", "recorded_via", "recorded_by",
    "evidence_reference", "policy_version", "withdrawn_at", "superseded_by",
]  # fmt: skip


def person(h: int, j: int) -> str:
    return f"ps_{h:09x}{j:02x}" + "0" * 29


class Data:
    """Deterministic synthetic households and consents, generated in chunks."""

    def __init__(self, households: int, consents: int, seed: int) -> None:
        self.households = households
        self.consents = consents
        self.seed = seed
        rng = random.Random(seed)
        self.children = [rng.randint(1, 3) for _ in range(households)]
        self.child_births = [
            [NOW.date() - timedelta(days=rng.randint(200, 17 * 365)) for _ in range(n)]
            for n in self.children
        ]

    def people(self) -> list[tuple[int, int]]:
        return [(h, j) for h in range(self.households) for j in range(2 + self.children[h])]

    def households_rows(self) -> Iterator[list[tuple[Any, ...]]]:
        since = NOW - timedelta(days=400)
        rows = [
            (f"hh_{h:024x}", "wijkteam-utrecht", since, "utrecht") for h in range(self.households)
        ]
        for start in range(0, len(rows), CHUNK):
            yield rows[start : start + CHUNK]

    def member_rows(self) -> Iterator[list[tuple[Any, ...]]]:
        since = NOW - timedelta(days=400)
        rows: list[tuple[Any, ...]] = []
        for h in range(self.households):
            hid = f"hh_{h:024x}"
            rows.append((hid, person(h, 0), date(1980, 5, 1), "parent", since, None))
            rows.append((hid, person(h, 1), date(1982, 7, 9), "parent", since, None))
            for j, birth in enumerate(self.child_births[h]):
                rows.append((hid, person(h, 2 + j), birth, "child", since, None))
            if len(rows) >= CHUNK:
                yield rows
                rows = []
        if rows:
            yield rows

    def custody_rows(self) -> Iterator[list[tuple[Any, ...]]]:
        since = NOW - timedelta(days=400)
        rows: list[tuple[Any, ...]] = []
        for h in range(self.households):
            hid = f"hh_{h:024x}"
            for j in range(self.children[h]):
                for parent in (0, 1):
                    rows.append((hid, person(h, parent), person(h, 2 + j), since, None, since))
            if len(rows) >= CHUNK:
                yield rows
                rows = []
        if rows:
            yield rows

    def consent_rows(self) -> Iterator[list[tuple[Any, ...]]]:
        rng = random.Random(self.seed + 1)
        actor = json.dumps({"kind": "professional", "organisation": "wijkteam-utrecht"})
        rows: list[tuple[Any, ...]] = []
        for n in range(self.consents):
            h = rng.randrange(self.households)
            j = rng.randrange(2 + self.children[h])
            subject = person(h, j)
            given_by = subject if j < 2 or rng.random() < 0.4 else person(h, rng.randrange(2))
            status = rng.choice(STATUSES)
            decision = "refuse" if status == "refused" else "grant"
            given = NOW - timedelta(days=rng.randint(1, 700))
            until = given + timedelta(days=rng.randint(30, 900)) if rng.random() < 0.6 else None
            purposes = sorted(rng.sample(PURPOSES, rng.randint(1, 2)))
            categories = sorted(rng.sample(CATEGORIES, rng.randint(1, 4)))
            types = sorted(rng.sample(TYPES, rng.randint(1, 2)))
            key = f"{','.join(purposes)}|{','.join(categories)}||{','.join(types)}||"
            rows.append(
                (
                    f"cs_{n:024x}", subject, given_by,
                    "self" if given_by == subject else "custody_holder",
                    decision, status, key,
                    json.dumps(purposes), json.dumps(categories), "[]", json.dumps(types),
                    "[]", "[]",
                    given, given, until, "paper", actor, "form", "sha256:bench",
                    given + timedelta(days=1) if status == "withdrawn" else None, None,
                )
            )  # fmt: skip
            if len(rows) >= CHUNK:
                yield rows
                rows = []
        if rows:
            yield rows


# -- loading ------------------------------------------------------------------------------


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):  # SQLAlchemy's SQLite storage format (UTC, no offset)
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def load_sqlite(path: Path, data: Data) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        for table, cols, chunks in (
            ("households", ["id", "regiehouder", "created_at", "region"], data.households_rows()),
            ("household_members", MEMBER_COLS, data.member_rows()),
            ("custody", CUSTODY_COLS, data.custody_rows()),
            ("consents", CONSENT_COLS, data.consent_rows()),
        ):
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"  # noqa: S608
            for rows in chunks:
                conn.executemany(sql, [tuple(_sqlite_value(v) for v in row) for row in rows])
            conn.commit()
        conn.execute("ANALYZE")
        conn.commit()
    finally:
        conn.close()


async def load_postgres(url: str, data: Data) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            for table, cols, chunks in (
                (
                    "households",
                    ["id", "regiehouder", "created_at", "region"],
                    data.households_rows(),
                ),
                ("household_members", MEMBER_COLS, data.member_rows()),
                ("custody", CUSTODY_COLS, data.custody_rows()),
                ("consents", CONSENT_COLS, data.consent_rows()),
            ):
                for rows in chunks:
                    await driver.copy_records_to_table(table, records=rows, columns=cols)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


# -- timing -------------------------------------------------------------------------------


async def interleaved(
    calls: dict[str, Callable[[int], Awaitable[object]]], count: int
) -> dict[str, list[float]]:
    """Time each call per iteration in turn, so that every kind sees the same load,
    cache state and database pages (a warm-up round first)."""
    for i in range(min(200, count)):
        for fn in calls.values():
            await fn(i)
    timings: dict[str, list[float]] = {name: [] for name in calls}
    for i in range(count):
        for name, fn in calls.items():
            start = time.perf_counter()
            await fn(i)
            timings[name].append((time.perf_counter() - start) * 1000)
    return timings


def summary(name: str, ms: list[float]) -> dict[str, float]:
    q = statistics.quantiles(ms, n=100)
    result = {"median_ms": statistics.median(ms), "p95_ms": q[94], "p99_ms": q[98]}
    print(
        f"  {name:<24} median {result['median_ms']:.3f} ms   p95 {result['p95_ms']:.3f} ms"
        f"   p99 {result['p99_ms']:.3f} ms   ({len(ms)} calls)"
    )
    return result


async def measure(url: str, data: Data, checks: int, seed: int) -> dict[str, Any]:
    engine = create_engine(url)
    store = SqlConsentStore(engine, rules=AgeRules(), sign=lambda c: "", issuer="bench")
    rng = random.Random(seed + 2)
    people = data.people()
    subjects = [person(*rng.choice(people)) for _ in range(checks + 200)]
    ids = [f"cs_{rng.randrange(data.consents):024x}" for _ in range(checks + 200)]
    questions = [
        (
            RequesterRef(*rng.choice(ORGS), "utrecht"),
            rng.choice(PURPOSES),
            rng.choice(CATEGORIES),
            SourceRef(*rng.choice(ORGS)),
        )
        for _ in range(checks + 200)
    ]
    items = [(p, c, SourceRef(*o)) for o in ORGS for c in CATEGORIES for p in PURPOSES[:1]]
    # The same footing as the check: same engine, no BEGIN/ROLLBACK, statement built once.
    reader = (
        engine.execution_options(isolation_level="AUTOCOMMIT")
        if engine.dialect.name == "postgresql"
        else engine
    )
    by_id = select(consents).where(consents.c.id == bindparam("id"))
    pk_reader = CheckReader(engine, by_id, "id")
    try:

        async def baseline(i: int) -> object:
            return await pk_reader.rows(ids[i])

        async def baseline_core(i: int) -> object:
            async with reader.connect() as conn:
                return (await conn.execute(by_id, {"id": ids[i]})).first()

        async def check(i: int) -> object:
            requester, purpose, category, source = questions[i]
            return await store.covers(subjects[i], requester, purpose, category, source, NOW)

        async def check_many(i: int) -> object:
            return await store.covers_many(subjects[i], questions[i][0], items, NOW)

        timings = await interleaved(
            {
                "baseline": baseline,
                "baseline_core": baseline_core,
                "covers": check,
                "covers_many": check_many,
            },
            checks,
        )
        base = summary("baseline PK SELECT", timings["baseline"])
        core = summary("  same via SA Core result", timings["baseline_core"])
        one = summary("covers (1 item)", timings["covers"])
        many = summary(f"covers_many ({len(items)} items)", timings["covers_many"])
        covered = sum(
            [(await check(i)).ok for i in range(min(checks, 1000))]  # type: ignore[attr-defined]
        )
        ratio = one["median_ms"] / base["median_ms"]
        print(f"  ratio covers / baseline (median): {ratio:.2f}x;  covered {covered} of 1000")
        return {
            "baseline": base,
            "baseline_core": core,
            "covers": one,
            "covers_many": many,
            "ratio": ratio,
        }
    finally:
        await pk_reader.close()
        await store.close()
        await engine.dispose()


async def _pg_admin(url: str, statement: str) -> None:
    engine = create_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def run_engine(kind: str, args: argparse.Namespace, data: Data) -> dict[str, Any]:
    print(f"\n== {kind}: {args.households:,} households, {args.consents:,} consents")
    started = time.perf_counter()
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.db"
            url = f"sqlite+aiosqlite:///{path}"
            asyncio.run(_migrate(url))
            load_sqlite(path, data)
            loaded = time.perf_counter() - started
            print(f"  generated and loaded in {loaded:.1f} s")
            result = asyncio.run(measure(url, data, args.checks, args.seed))
    else:
        admin = args.postgres_url
        name = "gw_bench_" + secrets.token_hex(4)
        url = f"{admin.rsplit('/', 1)[0]}/{name}"
        asyncio.run(_pg_admin(admin, f'CREATE DATABASE "{name}"'))
        try:
            asyncio.run(_migrate(url))
            asyncio.run(load_postgres(url, data))
            loaded = time.perf_counter() - started
            print(f"  generated and loaded in {loaded:.1f} s")
            result = asyncio.run(measure(url, data, args.checks, args.seed))
        finally:
            asyncio.run(_pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    result["load_seconds"] = loaded
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--consents", type=int, default=1_000_000)
    parser.add_argument("--checks", type=int, default=5_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "GATEWAY_TEST_DATABASE_URL", "postgresql+asyncpg://127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    data = Data(args.households, args.consents, args.seed)
    results = {kind: run_engine(kind, args, data) for kind in args.engines.split(",") if kind}
    target_met = all(r["covers"]["median_ms"] < 1.0 for r in results.values())
    print(f"\ntarget (covers median < 1 ms on every engine): {'met' if target_met else 'NOT met'}")
    if args.json:
        print(json.dumps(results, indent=2))
    return 0 if target_met else 1


if __name__ == "__main__":
    sys.exit(main())
