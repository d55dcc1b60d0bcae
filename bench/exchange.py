"""Exchange throughput: the full gateway against a bare aiohttp pass-through, same run.

    .venv/bin/python bench/exchange.py [--seconds 10] [--rounds 3] [--concurrency 32]
                                       [--database-url postgresql+asyncpg://127.0.0.1/test]
                                       [--profile-seconds 4] [--households N --consents M]

One server process holds (a) a bare aiohttp pass-through that verifies the same
organisation JWT (ES256) and forwards to the reference source with a gateway
token, (b) the gateway itself (authentication with the replay cache, policy,
consent, adapter, minimisation, durable audit append) and the wijkteam
reference source both use. A second process generates load on loopback with
pre-minted tokens, bounded in time; the targets alternate round by round.

Prints per round and as median [min-max] over the rounds, gateway against
pass-through: the throughput ratio; the CPU ratio (pass-through's CPU per
request over the gateway's, from /proc, with PostgreSQL's backends counted into
the gateway's: their pids from `pg_stat_activity`); the p50 and p99 latency
ratios (at `--concurrency 1` the low-load targets); the CPU per request of each
side; with `--event-loop asyncio` the server loop's iterations (wake-ups) per
request. Then one more gateway round sampled with SIGPROF (every 2 ms of the
server's CPU) for the share of each stage. `--households/--consents` load bench/consent.py's
full-size population besides the demo's first. Figures go to BENCHMARKS.md;
nothing here is a test assertion.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# bench/ holds scripts named like our packages (bench/consent.py): keep it off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import aiohttp  # noqa: E402
import jwt  # noqa: E402
from aiohttp import web  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
WIJKTEAM = "wijkteam-utrecht"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- server side


async def _serve(
    data_dir: Path, database_url: str, ports: dict[str, int], bulk: tuple[int, int] = (0, 0)
) -> None:
    from adapters.reference.app import create_source_app
    from adapters.reference.custody_register import CustodyRegister, create_custody_register_app
    from adapters.reference.jwks import StaticJwks
    from gateway.app import create_app
    from gateway.appkeys import (
        CONSENTS,
        CUSTODY,
        HOUSEHOLDS,
        KEYS,
        ORGANISATIONS,
        POLICIES,
        PSEUDONYMISER,
    )
    from gateway.auth.keys import init_keys
    from gateway.auth.organisations import OrganisationRegistry
    from gateway.demo.keys import ensure_demo_key
    from gateway.demo.seed import demo_population, seed_demo
    from gateway.exchange.wiring import source_token_factory
    from gateway.logs import configure_logging
    from gateway.settings import Settings
    from gateway.storage.db import create_engine
    from gateway.storage.schema import upgrade

    config_dir = data_dir / "config"
    shutil.copytree(REPO / "config", config_dir)
    organisations = config_dir / "organisations.toml"
    organisations.write_text(
        organisations.read_text().replace(
            "http://127.0.0.1:8101", f"http://127.0.0.1:{ports['source']}"
        )
    )
    environ = {
        "GATEWAY_DATA_DIR": str(data_dir),
        "GATEWAY_CONFIG_DIR": str(config_dir),
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_LOG_LEVEL": "warning",
        "GATEWAY_LOG_FORMAT": "json",
        "GATEWAY_CUSTODY_REGISTER_URL": f"http://127.0.0.1:{ports['register']}",
    }
    settings = Settings.load(environ)
    configure_logging("json", "warning")
    init_keys(settings.keys_dir)
    for org in OrganisationRegistry.load(organisations, data_dir=data_dir, require_keys=False):
        if org.jwks_file:
            ensure_demo_key(org.id, data_dir, org.jwks_file)
    engine = create_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    if bulk[0]:  # a full-size population besides the demo's (bench/consent.py's data)
        await _bulk_load(database_url, *bulk)

    gateway_app = create_app(settings)
    gateway_runner = web.AppRunner(gateway_app, access_log=None)
    await gateway_runner.setup()
    population = demo_population(gateway_app[ORGANISATIONS])
    keys = gateway_app[KEYS]
    register_app = create_custody_register_app(
        CustodyRegister.from_population(population), StaticJwks(keys.jwks()), settings.audience
    )
    register_runner = web.AppRunner(register_app, access_log=None)
    await register_runner.setup()
    await web.TCPSite(register_runner, "127.0.0.1", ports["register"]).start()
    await seed_demo(
        population, gateway_app[HOUSEHOLDS], gateway_app[CONSENTS],
        gateway_app[PSEUDONYMISER].pseudonym, custody=gateway_app[CUSTODY].source,
        policy_version=gateway_app[POLICIES].version, organisations=gateway_app[ORGANISATIONS],
    )  # fmt: skip
    source = create_source_app(
        WIJKTEAM, "wijkteam", population, StaticJwks(keys.jwks()),
        audience=WIJKTEAM, gateway_issuer=settings.audience,
    )  # fmt: skip
    source_runner = web.AppRunner(source, access_log=None)
    await source_runner.setup()

    # (a) the baseline: same JWT check, one HTTP hop to the same source, no gateway logic.
    org_key = jwt.PyJWK(json.loads((data_dir / "organisations" / f"{WIJKTEAM}.jwks.json")
                                   .read_text())["keys"][0])  # fmt: skip
    mint = source_token_factory(keys, settings.audience)
    session = aiohttp.ClientSession()
    source_url = f"http://127.0.0.1:{ports['source']}/api/v1/records/query"

    async def passthrough(request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        jwt.decode(token, org_key.key, algorithms=["ES256"], audience=settings.audience,
                   issuer=WIJKTEAM, options={"require": ["exp", "iat", "jti", "sub"]})  # fmt: skip
        body = await request.json()
        async with session.post(
            source_url,
            json={"bsn": body["subject"]["bsn"], "categories": body["categories"],
                  "purpose": body["purpose"]},
            headers={"Authorization": f"Bearer {mint(WIJKTEAM)}"},
        ) as upstream:  # fmt: skip
            data = await upstream.json()
        return web.json_response(data)

    baseline = web.Application()
    baseline.router.add_post("/passthrough", passthrough)
    baseline_runner = web.AppRunner(baseline, access_log=None)
    await baseline_runner.setup()

    await web.TCPSite(source_runner, "127.0.0.1", ports["source"]).start()
    await web.TCPSite(baseline_runner, "127.0.0.1", ports["baseline"]).start()
    await web.TCPSite(gateway_runner, "127.0.0.1", ports["gateway"]).start()
    child = population.scenario("child_under_12")
    from gateway.http.eventloop import loop_name

    loop = loop_name(asyncio.get_running_loop())
    print(json.dumps({"ready": True, "bsn": child.bsn, "loop": loop}), flush=True)
    sampler: _StageSampler | None = None
    iterations = [0]  # loop iterations (wake-ups) so far, on asyncio's own loop
    running = asyncio.get_running_loop()
    run_once = getattr(running, "_run_once", None)
    if run_once is not None:

        def counted() -> None:
            iterations[0] += 1
            run_once()

        running._run_once = counted  # type: ignore[attr-defined]
    while True:  # commands from the load side, one a line, until stdin closes
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        if line.strip() == "profile-start":
            sampler = _StageSampler()
            sampler.start()
        elif line.strip() == "profile-stop" and sampler is not None:
            print(json.dumps({"stages": sampler.stop()}), flush=True)
        elif line.strip() == "iterations":
            print(json.dumps({"iterations": iterations[0] if run_once else None}), flush=True)
    await session.close()
    for runner in (gateway_runner, baseline_runner, source_runner, register_runner):
        await runner.cleanup()


async def _bulk_load(database_url: str, households: int, consents: int) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_consent", Path(__file__).parent / "consent.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data = module.Data(households, consents, seed=1)
    started = time.perf_counter()
    if database_url.startswith("sqlite"):
        module.load_sqlite(Path(database_url.split("///", 1)[1]), data)
    else:
        await module.load_postgres(database_url, data)
    print(f"loaded {households} households, {consents} consents in "
          f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)  # fmt: skip


# --------------------------------------------------------------------------- stage shares

# Stages by file path fragment (and qualified function name where one file holds two):
# the innermost frame of our own code decides, so library code (the JWT library,
# sqlite3, json) counts for whoever called it. The group commit and the write runner
# count for the write they carry out (audit or replay). The reference source runs in
# this process for both targets; its share is shown apart.
_REFERENCE = ("reference source (both targets)", "/adapters/reference/")
_STAGES: list[tuple[str, str, str]] = [
    ("audit append (prepare, hash, rows, commit)", "/gateway/audit/", ""),
    ("replay insert", "/gateway/auth/organisation_tokens.py", "_remember"),
    ("token check (ES256 verify), source token (sign)", "/gateway/auth/", ""),
    ("subject + consent read and evaluation", "/consent/", ""),
    ("policy decisions", "/policies/", ""),
    ("source call (client side)", "/adapters/", ""),
    ("exchange pipeline (validate, pseudonymise, minimise)", "/gateway/exchange/", ""),
    ("gateway HTTP layer (middlewares, JSON, problems)", "/gateway/", ""),
]
_GLUE = (
    "group commit / write runner glue",
    ("/gateway/storage/db.py", "/gateway/storage/group_commit.py"),
)
_AIOHTTP = ("aiohttp (server, client, parsing)", "/aiohttp/")
_OTHER = "event loop, asyncio, other libraries"
_LOOP_RUNNER = "/gateway/http/eventloop.py"


class _StageSampler:
    """CPU-time sampling of the server's main thread: SIGPROF every 2 ms of process CPU
    time; the handler runs in the main thread and sees its current frame (no bias to
    the points where the thread releases the GIL)."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        # BENCH_STACKS=<file>: also write every sample's stack (collapsed, outermost first).
        self._stacks_file = os.environ.get("BENCH_STACKS", "")
        self._stacks: dict[str, int] = {}

    def start(self) -> None:
        signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, 0.002, 0.002)

    def stop(self) -> dict[str, int]:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, signal.SIG_IGN)
        if self._stacks_file:
            with open(self._stacks_file, "w") as out:
                out.writelines(f"{stack} {count}\n" for stack, count in self._stacks.items())
        return self._counts

    def _sample(self, _signum: int, frame: Any) -> None:
        stage = _stage_of(frame)
        self._counts[stage] = self._counts.get(stage, 0) + 1
        if self._stacks_file:
            names = []
            while frame is not None:
                code = frame.f_code
                names.append(f"{code.co_qualname} ({code.co_filename.split('site-packages/')[-1]})")
                frame = frame.f_back
            stack = ";".join(reversed(names))
            self._stacks[stack] = self._stacks.get(stack, 0) + 1


def _stage_of(frame: Any) -> str:
    stack = []
    while frame is not None:  # innermost first
        # The frame that runs the loop is under every sample: it is no stage.
        if not frame.f_code.co_filename.endswith(_LOOP_RUNNER):
            stack.append((frame.f_code.co_filename, frame.f_code.co_qualname))
        frame = frame.f_back
    if any(_REFERENCE[1] in filename for filename, _name in stack):
        return _REFERENCE[0]
    for filename, name in stack:
        if any(glue in filename for glue in _GLUE[1]):
            continue
        for stage, fragment, function in _STAGES:
            if fragment in filename and function in name:
                return stage
    if any(glue in filename for filename, _name in stack for glue in _GLUE[1]):
        return _GLUE[0]
    if any(_AIOHTTP[1] in filename for filename, _name in stack):
        return _AIOHTTP[0]
    return _OTHER


# --------------------------------------------------------------------------- load side


async def _load(url: str, bodies: list[bytes], tokens: list[str], seconds: float,
                concurrency: int) -> dict[str, float]:  # fmt: skip
    latencies: list[float] = []
    errors = 0
    index = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal index, errors
            while time.perf_counter() < deadline and index < len(tokens):
                token = tokens[index]
                body = bodies[index % len(bodies)]
                index += 1
                started = time.perf_counter()
                async with session.post(
                    url, data=body,
                    headers={"Authorization": f"Bearer {token}",
                             "Content-Type": "application/json"},
                ) as response:  # fmt: skip
                    await response.read()
                    if response.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def _tokens(data_dir: Path, audience: str, count: int) -> list[str]:
    from gateway.demo.keys import load_demo_key

    key = load_demo_key(WIJKTEAM, data_dir)
    return [
        key.token(audience, role="hulpverlener", sub=f"bench-{i}", lifetime=300)
        for i in range(count)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per target and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--households", type=int, default=0,
        help="also load this many households (bench/consent.py's data) before serving",
    )  # fmt: skip
    parser.add_argument("--consents", type=int, default=0, help="with --households")
    parser.add_argument(
        "--profile-seconds", type=float, default=4.0,
        help="a last gateway round sampled for the stage shares (0: none)",
    )  # fmt: skip
    parser.add_argument(
        "--event-loop", default="auto", choices=["auto", "uvloop", "asyncio"],
        help="the server's loop, as GATEWAY_EVENT_LOOP (default: what `gateway serve` uses)",
    )  # fmt: skip
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ports", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        from gateway.http import eventloop

        eventloop.run(
            _serve(
                args.data_dir,
                args.database_url,
                json.loads(args.ports),
                (args.households, args.consents),
            ),
            args.event_loop,
        )
        return 0

    data_dir = Path(tempfile.mkdtemp(prefix="bench-exchange-"))
    database_url = args.database_url or f"sqlite+aiosqlite:///{data_dir / 'gateway.db'}"
    if args.database_url:
        database_url = _fresh_pg_database(args.database_url)
    ports = {
        "gateway": _free_port(),
        "baseline": _free_port(),
        "source": _free_port(),
        "register": _free_port(),
    }
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--data-dir", str(data_dir),
         "--database-url", database_url, "--ports", json.dumps(ports),
         "--event-loop", args.event_loop, "--households", str(args.households),
         "--consents", str(args.consents)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        ready = json.loads(server.stdout.readline())
        body = json.dumps({"subject": {"bsn": ready["bsn"]}, "purpose": "support_planning",
                           "categories": ["contact_details", "health"],
                           "sources": [WIJKTEAM]}).encode()  # fmt: skip
        per_run = int(args.seconds * 6000) + 1000
        targets = {
            "passthrough": f"http://127.0.0.1:{ports['baseline']}/passthrough",
            "gateway": f"http://127.0.0.1:{ports['gateway']}/api/v1/exchanges",
        }
        for url in targets.values():  # warm-up: connections, caches, statements
            asyncio.run(_load(url, [body], _tokens(data_dir, "jeugd-gateway", 300), 1.0,
                              args.concurrency))  # fmt: skip
        # Rounds alternate the two targets, so a passing disturbance on this machine
        # hits both; the ratio reported is the median of the rounds' ratios.
        rounds: list[dict[str, dict[str, float]]] = []
        for _ in range(args.rounds):
            results: dict[str, dict[str, float]] = {}
            for name, url in targets.items():
                tokens = _tokens(data_dir, "jeugd-gateway", per_run)
                loops_before = _iterations(server)
                cpu_before = _cpu_seconds(server.pid)
                db_before = _pg_backend_cpu(database_url) if args.database_url else {}
                results[name] = asyncio.run(
                    _load(url, [body], tokens, args.seconds, args.concurrency)
                )
                cpu_after = _cpu_seconds(server.pid)
                loops_after = _iterations(server)
                if loops_before is not None and loops_after is not None:
                    results[name]["loop_iterations"] = (loops_after - loops_before) / max(
                        results[name]["requests"], 1
                    )
                db_after = _pg_backend_cpu(database_url) if args.database_url else {}
                requests = max(results[name]["requests"], 1)
                if cpu_before is not None and cpu_after is not None:
                    results[name]["server_cpu_ms"] = (cpu_after - cpu_before) * 1000 / requests
                    db = sum(t - db_before.get(pid, 0.0) for pid, t in db_after.items())
                    results[name]["db_cpu_ms"] = db * 1000 / requests
            rounds.append(results)
        stages: dict[str, int] = {}
        if args.profile_seconds > 0 and server.stdin is not None:
            # One more gateway round, sampled: where the server's loop thread spends it.
            tokens = _tokens(data_dir, "jeugd-gateway", int(args.profile_seconds * 6000) + 1000)
            server.stdin.write("profile-start\n")
            server.stdin.flush()
            asyncio.run(_load(targets["gateway"], [body], tokens, args.profile_seconds,
                              args.concurrency))  # fmt: skip
            server.stdin.write("profile-stop\n")
            server.stdin.flush()
            stages = json.loads(server.stdout.readline())["stages"]
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=30)
        if server.stdout:
            server.stdout.close()
        shutil.rmtree(data_dir, ignore_errors=True)
        if args.database_url:
            _drop_pg_database(args.database_url, database_url)
    engine = "PostgreSQL" if args.database_url else "SQLite"
    print(f"exchange benchmark ({engine}, {args.concurrency} concurrent clients, "
          f"{args.rounds} rounds of {args.seconds:.0f} s per target, loopback, 2 processes, "
          f"server loop {ready['loop']}, load {_load_average()})")  # fmt: skip
    ratios: dict[str, list[float]] = {"throughput": [], "cpu": [], "p50": [], "p99": []}
    for number, results in enumerate(rounds, 1):
        for name, r in results.items():
            cpu = ""
            if "server_cpu_ms" in r:
                cpu = f"  CPU/req server {r['server_cpu_ms']:.2f} ms"
                if args.database_url:
                    cpu += f" + PostgreSQL {r['db_cpu_ms']:.2f} ms"
            if "loop_iterations" in r:
                cpu += f", loop wake-ups/req {r['loop_iterations']:.1f}"
            print(f"  round {number} {name:12s} {r['rps']:6.0f} req/s  p50 {r['p50_ms']:6.2f} ms  "
                  f"p99 {r['p99_ms']:6.2f} ms  ({r['requests']:.0f} requests, "
                  f"{r['errors']:.0f} errors){cpu}")  # fmt: skip
        gw, pt = results["gateway"], results["passthrough"]
        ratios["throughput"].append(gw["rps"] / pt["rps"])
        if "server_cpu_ms" in gw and "server_cpu_ms" in pt:
            ratios["cpu"].append(
                (pt["server_cpu_ms"] + pt["db_cpu_ms"]) / (gw["server_cpu_ms"] + gw["db_cpu_ms"])
            )
        ratios["p50"].append(gw["p50_ms"] / pt["p50_ms"])
        ratios["p99"].append(gw["p99_ms"] / pt["p99_ms"])
        print(f"  round {number} gateway/passthrough: throughput {ratios['throughput'][-1]:.2f}"
              + (f", CPU {ratios['cpu'][-1]:.2f}" if ratios["cpu"] else "")
              + f", p50 {ratios['p50'][-1]:.2f}x, p99 {ratios['p99'][-1]:.2f}x")  # fmt: skip
    print(f"  median of {len(rounds)} rounds, gateway/passthrough:")
    print(f"    throughput ratio {_spread(ratios['throughput'])} (target >= 0.7 at 32 clients)")
    if ratios["cpu"]:
        what = "server + PostgreSQL backends" if args.database_url else "server process"
        print(f"    CPU ratio (passthrough CPU/req : gateway CPU/req, {what}) "
              f"{_spread(ratios['cpu'])} (target >= 0.7 at 32 clients)")  # fmt: skip
    print(f"    latency p50 {_spread(ratios['p50'])}x (target <= 2 at 1 client), "
          f"p99 {_spread(ratios['p99'])}x (target <= 3 at 1 client)")  # fmt: skip
    for name in ("passthrough", "gateway"):
        for key, label in (("server_cpu_ms", "server"), ("db_cpu_ms", "PostgreSQL")):
            if key in rounds[0][name] and (key == "server_cpu_ms" or args.database_url):
                print(f"    CPU per request, {name} {label}: "
                      f"{_spread([r[name][key] for r in rounds])} ms")  # fmt: skip
    if stages:
        total = sum(stages.values())
        print(
            f"  stages of the gateway server ({args.profile_seconds:.0f} s of load sampled, "
            f"{total} samples of 2 ms CPU); share of the server's CPU:"
        )
        for stage, count in sorted(stages.items(), key=lambda kv: -kv[1]):
            print(f"    {100 * count / max(total, 1):5.1f}%  {stage}")
    return 0


def _iterations(server: subprocess.Popen[str]) -> int | None:
    """The server loop's iterations so far (asyncio's loop only; None on uvloop)."""
    if server.stdin is None or server.stdout is None:
        return None
    server.stdin.write("iterations\n")
    server.stdin.flush()
    count = json.loads(server.stdout.readline())["iterations"]
    return None if count is None else int(count)


def _spread(values: list[float]) -> str:
    """median [min-max]"""
    return f"{statistics.median(values):.2f} [{min(values):.2f}-{max(values):.2f}]"


def _load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def _pg_backend_cpu(database_url: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to the bench database
    (pids from `pg_stat_activity`, times from /proc: the server runs on this machine)."""
    import asyncpg

    name = database_url.rsplit("/", 1)[1]
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")

    async def pids() -> list[int]:
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
        finally:
            await conn.close()
        return [int(r["pid"]) for r in rows]

    times: dict[int, float] = {}
    for pid in asyncio.run(pids()):
        cpu = _cpu_seconds(pid)
        if cpu is not None:
            times[pid] = cpu
    return times


def _drop_pg_database(admin_url: str, database_url: str) -> None:
    from sqlalchemy import text

    from gateway.storage.db import create_engine

    name = database_url.rsplit("/", 1)[1]

    async def drop() -> None:
        engine = create_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()

    asyncio.run(drop())


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process so far (Linux /proc), to show the cost per request."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _fresh_pg_database(admin_url: str) -> str:
    from sqlalchemy import text

    from gateway.storage.db import create_engine

    name = "bench_" + secrets.token_hex(4)

    async def create() -> None:
        engine = create_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()

    asyncio.run(create())
    return admin_url.rsplit("/", 1)[0] + "/" + name


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
