"""The portal's cost: the dossier page and `GET /api/v1/me/dossier` against the same
exchange made through the organisation API, in the same run, interleaved.

    .venv/bin/python bench/portal.py [--rounds 5] [--requests 20]
                                     [--database-url postgresql+asyncpg://127.0.0.1/test]

One process serves the demo deployment on loopback (the gateway, the five reference
sources, the reference custody register), seeded with the demo's households, and
drives it sequentially (one request at a time, so the three share the machine alike).
Each round makes `--requests` calls of each kind, interleaved (page, API, exchange,
page, ...), for the same person (an adult, five sources): (a) the organisation's
`POST /api/v1/exchanges` with every source and the categories the portal asks (the
baseline), (b) `GET /api/v1/me/dossier` (one `client_access` exchange plus the JSON),
(c) `GET /mijn-dossier` (the same plus the HTML). Prints p50 and p95 of each, and the
ratios page/API and API/exchange (target: page <= 1.5 x the API call). Figures go to
BENCHMARKS.md; nothing here is a test assertion.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

# bench/ holds scripts named like our packages (bench/consent.py): keep it off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
WIJKTEAM = "wijkteam-utrecht"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _deployment(data: Path, database_url: str) -> tuple[list[web.AppRunner], dict[str, str]]:
    from adapters.reference.app import create_source_app
    from adapters.reference.custody_register import CustodyRegister, create_custody_register_app
    from adapters.reference.jwks import StaticJwks
    from adapters.reference.sqlsource import build_reference_database
    from gateway.app import create_app
    from gateway.appkeys import (
        CASES,
        CONSENTS,
        CUSTODY,
        HOUSEHOLD_SESSIONS,
        HOUSEHOLDS,
        KEYS,
        ORGANISATIONS,
        POLICIES,
        PSEUDONYMISER,
        VOCABULARY,
    )
    from gateway.auth.keys import init_keys
    from gateway.auth.organisations import OrganisationRegistry
    from gateway.demo.keys import ensure_demo_key
    from gateway.demo.seed import demo_population, seed_demo
    from gateway.logs import configure_logging
    from gateway.settings import Settings
    from gateway.storage.db import create_engine
    from gateway.storage.schema import upgrade

    config = data / "config"
    shutil.copytree(REPO / "config", config)
    registry = OrganisationRegistry.load(
        config / "organisations.toml", data_dir=data, require_keys=False
    )
    text = (config / "organisations.toml").read_text()
    ports: dict[str, int] = {}
    for org in registry:
        adapter = org.adapter or {}
        if adapter.get("kind") == "http":
            ports[org.id] = _free_port()
            text = text.replace(
                str(adapter["base_url"]).rstrip("/"), f"http://127.0.0.1:{ports[org.id]}"
            )
        if org.jwks_file:
            ensure_demo_key(org.id, data, org.jwks_file)
    (config / "organisations.toml").write_text(text)
    register_port, gateway_port = _free_port(), _free_port()
    settings = Settings.load(
        {
            "GATEWAY_DATA_DIR": str(data),
            "GATEWAY_CONFIG_DIR": str(config),
            "GATEWAY_DATABASE_URL": database_url,
            "GATEWAY_LOG_LEVEL": "warning",
            "GATEWAY_LOG_FORMAT": "json",
            "GATEWAY_CUSTODY_REGISTER_URL": f"http://127.0.0.1:{register_port}",
        }
    )
    configure_logging("json", "warning")
    init_keys(settings.keys_dir)
    engine = create_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    app = create_app(settings)
    population = demo_population(app[ORGANISATIONS])
    jwks = StaticJwks(app[KEYS].jwks())
    runners: list[web.AppRunner] = []

    async def serve(served: web.Application, port: int) -> None:
        runner = web.AppRunner(served, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)

    for org in app[ORGANISATIONS]:
        adapter = org.adapter or {}
        if adapter.get("kind") == "http":
            source = create_source_app(
                org.id, org.type, population, jwks, audience=org.id,
                gateway_issuer=settings.audience,
            )  # fmt: skip
            await serve(source, ports[org.id])
        elif adapter.get("kind") == "sql":
            (data / "sources").mkdir(exist_ok=True)
            url = str(adapter["url"]).replace("{data_dir}", str(data))
            await build_reference_database(url, population, org.id)
    await serve(
        create_custody_register_app(
            CustodyRegister.from_population(population), jwks, settings.audience
        ),
        register_port,
    )
    await serve(app, gateway_port)
    await seed_demo(
        population, app[HOUSEHOLDS], app[CONSENTS], app[PSEUDONYMISER].pseudonym,
        custody=app[CUSTODY].source, policy_version=app[POLICIES].version,
        organisations=app[ORGANISATIONS], cases=app[CASES],
    )  # fmt: skip
    adult = population.scenario("adult")
    person = app[PSEUDONYMISER].pseudonym(adult.bsn)
    (household,) = await app[HOUSEHOLDS].households_of(person)
    token = await app[HOUSEHOLD_SESSIONS].create(person, household, bsn=adult.bsn)
    categories = sorted(
        c for c, cat in app[VOCABULARY].categories.items() if cat.sensitivity != "restricted"
    )
    sources = sorted(o.id for o in app[ORGANISATIONS] if o.adapter)
    return runners, {
        "url": f"http://127.0.0.1:{gateway_port}",
        "session": token,
        "bsn": adult.bsn,
        "categories": json.dumps(categories),
        "sources": json.dumps(sources),
        "audience": settings.audience,
        "data": str(data),
    }


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] * 1000


async def _run(rounds: int, requests: int, database_url: str | None) -> None:
    from gateway.demo.keys import load_demo_key

    with tempfile.TemporaryDirectory(prefix="bench-portal-") as tmp:
        data = Path(tmp)
        url_db = database_url or f"sqlite+aiosqlite:///{data / 'gateway.db'}"
        runners, env = await _deployment(data, url_db)
        key = load_demo_key(WIJKTEAM, data)
        exchange = {
            "subject": {"bsn": env["bsn"]},
            "purpose": "support_planning",
            "categories": json.loads(env["categories"]),
            "sources": json.loads(env["sources"]),
        }
        cookie = {"Cookie": f"__Host-gw_session={env['session']}", "Accept": "text/html"}
        session_header = {"Authorization": f"Session {env['session']}"}
        times: dict[str, list[float]] = {"exchange": [], "api": [], "page": []}
        try:
            async with aiohttp.ClientSession() as http:

                async def timed(kind: str, method: str, path: str, **kw: object) -> None:
                    started = time.perf_counter()
                    async with http.request(method, env["url"] + path, **kw) as response:
                        await response.read()
                        if response.status != 200:
                            raise SystemExit(f"{kind}: HTTP {response.status}")
                    times[kind].append(time.perf_counter() - started)

                for _ in range(3):  # warm up connections and every path
                    await timed("api", "GET", "/api/v1/me/dossier", headers=session_header)
                    await timed("page", "GET", "/mijn-dossier", headers=cookie)
                times = {k: [] for k in times}
                for _ in range(rounds):
                    for i in range(requests):
                        token = key.token(
                            env["audience"], role="hulpverlener", sub=f"bench-{i}", lifetime=300
                        )
                        await timed(
                            "exchange", "POST", "/api/v1/exchanges", json=exchange,
                            headers={"Authorization": f"Bearer {token}"},
                        )  # fmt: skip
                        await timed("api", "GET", "/api/v1/me/dossier", headers=session_header)
                        await timed("page", "GET", "/mijn-dossier", headers=cookie)
        finally:
            for runner in reversed(runners):
                await runner.cleanup()
    summary = {
        kind: {
            "n": len(values),
            "p50_ms": round(statistics.median(values) * 1000, 2),
            "p95_ms": round(_p(values, 0.95), 2),
        }
        for kind, values in times.items()
    }
    print(json.dumps(summary, indent=2))
    page, api, base = (summary[k] for k in ("page", "api", "exchange"))
    print(
        f"page / API      p50 {page['p50_ms'] / api['p50_ms']:.2f}x  "
        f"p95 {page['p95_ms'] / api['p95_ms']:.2f}x  (target <= 1.5x)"
    )
    print(
        f"API / exchange  p50 {api['p50_ms'] / base['p50_ms']:.2f}x  "
        f"p95 {api['p95_ms'] / base['p95_ms']:.2f}x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    asyncio.run(_run(args.rounds, args.requests, args.database_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
