"""Officer console benchmark: p95 of the access-log search page vs the JSON API call,
same searches, same run, at many audit entries.

    .venv/bin/python bench/officer_log.py [--database-url URL] [--entries 1000000] [--runs 100]

The entries are seeded fast and in a valid chain by `bench/audit.py`'s `generate`
(bulk inserts of 10,000 rows, each hashed onto the one before, the chain head moved
once at the end). The whole gateway then runs on a real socket; one privacy officer
of the wijkteam searches, alternately through the page (`GET /fg/logboek?...`, officer
session cookie, HTML) and the API (`GET /api/v1/audit/entries?...`, organisation
token, JSON). Both write their own `audit.query` entry before answering, as in
production. Tokens are signed before the clock starts (each has its own `jti`).
Target: page p95 at most 1.5x the API's. Then the misuse-signal page (`/fg/signalen`)
against `GET /api/v1/signals`, alternately, `--runs`/10 times (at least 5); target: the
page under 1 s. For PostgreSQL, URL names a server database
it may create a scratch database next to (postgresql+asyncpg://127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import aiohttp  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402

from gateway.app import create_app  # noqa: E402
from gateway.appkeys import OFFICER_SESSIONS  # noqa: E402
from gateway.auth.keys import init_keys  # noqa: E402
from gateway.auth.officer_sessions import OFFICER_COOKIE  # noqa: E402
from gateway.auth.organisations import OrganisationRegistry  # noqa: E402
from gateway.demo.keys import ensure_demo_key  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from gateway.storage.db import create_engine, dispose  # noqa: E402
from gateway.storage.schema import upgrade  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_audit", HERE / "audit.py")
assert _spec is not None and _spec.loader is not None
bench_audit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_audit)

CONFIG = HERE.parent / "config"
ORG = "wijkteam-utrecht"
OFFICER = "fg-wijkteam-utrecht-1"


def searches(rng: random.Random) -> list[dict[str, str]]:
    """The officer's common searches (the page and the API get the same ones)."""
    now = datetime.now(UTC)
    week = (now - timedelta(days=37)).date().isoformat(), (now - timedelta(days=30)).date()
    return [
        {},
        {"purpose": rng.choice(bench_audit.PURPOSES)},
        {"decision": "deny"},
        {"break_glass": "true"},
        {"from": week[0], "to": week[1].isoformat()},
        {"organisation": rng.choice(bench_audit.ORGS)},
    ]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


async def run(args: argparse.Namespace) -> None:
    async with bench_audit.scratch_database(args.database_url) as url:
        with tempfile.TemporaryDirectory() as folder:
            data = Path(folder)
            init_keys(data / "keys")
            settings = Settings.load(
                {
                    "GATEWAY_DATA_DIR": str(data),
                    "GATEWAY_CONFIG_DIR": str(CONFIG),
                    "GATEWAY_DATABASE_URL": url,
                    "GATEWAY_LOG_LEVEL": "warning",
                }
            )
            registry = OrganisationRegistry.load(
                CONFIG / "organisations.toml", data_dir=data, require_keys=False
            )
            keys = {o.id: ensure_demo_key(o.id, data, o.jwks_file) for o in registry if o.jwks_file}
            engine = create_engine(url, pool_size=10)
            try:
                await upgrade(engine)
                started = time.perf_counter()
                await bench_audit.generate(engine, args.entries)
                print(f"database: {engine.dialect.name}")
                print(
                    f"seeded {args.entries:,} chained entries in "
                    f"{time.perf_counter() - started:.0f}s"
                )
            finally:
                await dispose(engine)
            server = TestServer(create_app(settings), host="127.0.0.1")
            await server.start_server()
            try:
                await measure(server, settings, keys, args.runs)
            finally:
                await server.close()


async def measure(server: TestServer, settings: Settings, keys: dict[str, Any], runs: int) -> None:
    app = server.app
    token = await app[OFFICER_SESSIONS].create(OFFICER, ORG, "privacy_officer")
    base = str(server.make_url(""))
    rng = random.Random(4)
    page_ms: list[float] = []
    api_ms: list[float] = []
    async with aiohttp.ClientSession() as http:
        cookie = {"Cookie": f"{OFFICER_COOKIE}={token}", "Accept": "text/html"}
        for _ in range(3):  # warm both paths (templates, pools)
            await (await http.get(f"{base}/fg/logboek", headers=cookie)).read()
        for run in range(runs):
            params = rng.choice(searches(rng))
            query = urlencode(params)
            api_params = dict(params)
            bearer = {
                "Authorization": "Bearer "
                + keys[ORG].token(settings.audience, role="privacy_officer", sub=OFFICER)
            }
            order = ("page", "api") if run % 2 == 0 else ("api", "page")
            for kind in order:
                if kind == "page":
                    started = time.perf_counter()
                    async with http.get(f"{base}/fg/logboek?{query}", headers=cookie) as answer:
                        await answer.read()
                        assert answer.status == 200, answer.status
                    page_ms.append((time.perf_counter() - started) * 1000)
                else:
                    started = time.perf_counter()
                    path = f"{base}/api/v1/audit/entries?{urlencode(api_params)}"
                    async with http.get(path, headers=bearer) as answer:
                        await answer.read()
                        assert answer.status == 200, answer.status
                    api_ms.append((time.perf_counter() - started) * 1000)
    page95, api95 = p95(page_ms), p95(api_ms)
    print(f"log search page  p50 {statistics.median(page_ms):7.2f} ms   p95 {page95:7.2f} ms")
    print(f"JSON API call    p50 {statistics.median(api_ms):7.2f} ms   p95 {api95:7.2f} ms")
    print(f"ratio page/API at p95: {page95 / api95:.2f} (target <= 1.5)")
    await measure_signals(base, cookie, settings, keys, max(5, runs // 10))


async def measure_signals(
    base: str, cookie: dict[str, str], settings: Settings, keys: dict[str, Any], runs: int
) -> None:
    """The misuse-signal page (`/fg/signalen`) against `GET /api/v1/signals`: the same
    use-case (every signal kind over the configured window), alternately."""
    page_ms: list[float] = []
    api_ms: list[float] = []
    async with aiohttp.ClientSession() as http:
        await (await http.get(f"{base}/fg/signalen", headers=cookie)).read()  # warm
        for run in range(runs):
            bearer = {
                "Authorization": "Bearer "
                + keys[ORG].token(settings.audience, role="privacy_officer", sub=OFFICER)
            }
            order = ("page", "api") if run % 2 == 0 else ("api", "page")
            for kind in order:
                url, headers = (
                    (f"{base}/fg/signalen", cookie)
                    if kind == "page"
                    else (f"{base}/api/v1/signals", bearer)
                )
                started = time.perf_counter()
                async with http.get(url, headers=headers) as answer:
                    await answer.read()
                    assert answer.status == 200, answer.status
                (page_ms if kind == "page" else api_ms).append(
                    (time.perf_counter() - started) * 1000
                )
    page95, api95 = p95(page_ms), p95(api_ms)
    print(
        f"signals page     p50 {statistics.median(page_ms):7.2f} ms   p95 {page95:7.2f} ms"
        f"   max {max(page_ms):7.2f} ms (target < 1000)"
    )
    print(f"signals API      p50 {statistics.median(api_ms):7.2f} ms   p95 {api95:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=100)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
