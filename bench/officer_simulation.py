"""Policy simulation of 100k recorded decisions against replaying them through the HTTP API.

    .venv/bin/python bench/officer_simulation.py [--decisions 100000] [--http-exchanges 400]
                                                 [--concurrency 8]

One gateway (the demo configuration, SQLite file) served over loopback HTTP in this
process. Baseline, same run: `--http-exchanges` exchanges of three decisions each
through `POST /api/v1/exchanges` (token check, replay cache, subject read, policy,
consent, durable audit append; the subject is unregistered, so consent denies and no
source is called: a lower bound on the cost of an HTTP replay), giving decisions per
second. Then `--decisions` recorded decisions are seeded (bench/officer_seed.py) and
one `POST /api/v1/policies/simulate` replays all of them through a stricter candidate
rule set (read in one query, decided by the candidate's engine). Prints both rates
and the ratio. Target: the simulation at least 20x faster per decision.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib.util
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(REPO / "tests"))  # the test suite's gateway fixture (keys, tokens)

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402
from support import make_gateway_fixture, migrate  # noqa: E402

from gateway.app import create_app  # noqa: E402
from gateway.appkeys import ENGINE, POLICIES  # noqa: E402
from gateway.audit.model import AuditEvent  # noqa: E402
from policies import DecisionContext, PolicyEngine  # noqa: E402


def _sibling(name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


seed_module = _sibling("officer_seed")
STRICTER = """
[[rules]]
id = "bench-no-finances"
effect = "forbid"
description = { nl = "Geen financiele gegevens.", en = "No financial data." }
requester_types = ["*"]
purposes = ["support_planning", "joint_problem_analysis"]
source_types = ["*"]
categories = ["finances"]
"""
BSN = "999990019"  # synthetic, passes the elfproef, in no household


def _as_decided(engine: PolicyEngine) -> Callable[[random.Random, int], AuditEvent]:
    """Seeded events whose decision is what the policy in force decides for their inputs
    (and, where it needs consent, a consent present half of the time), as the log of a
    real deployment would hold them."""
    orgs = seed_module.ORGS  # type: ignore[attr-defined]

    def make(rng: random.Random, n: int) -> AuditEvent:
        ev: AuditEvent = seed_module.event(rng, n)  # type: ignore[attr-defined]
        assert ev.requester_org is not None and ev.source is not None
        assert ev.purpose is not None and ev.category is not None
        context = DecisionContext(
            requester_type=orgs[ev.requester_org], purpose=ev.purpose, at=datetime.now(UTC),
            requester_role=ev.role,
            requester_region="utrecht-proeftuin" if orgs[ev.requester_org] == "rvt" else "utrecht",
        )  # fmt: skip
        (d,) = engine.decide_all(context, [(orgs[ev.source], ev.category)])
        consent = rng.random() < 0.5
        permit = d.permitted and (consent or not d.consent_required)
        return replace(
            ev,
            decision="permit" if permit else "deny",
            reason=d.reason if not (d.permitted and not permit) else "consent_required",
            rule_ids=d.rule_ids,
            legal_basis=d.legal_basis,
            consent_ids=("cs_bench",) if permit and d.consent_required else (),
            break_glass=d.break_glass and permit,
            outcome="returned" if permit else "denied",
        )

    return make


async def run(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="gw-bench-sim-"))
    url = f"sqlite+aiosqlite:///{folder / 'gateway.db'}"
    fixture = make_gateway_fixture(folder / "data", url)
    await migrate(url)
    client = TestClient(TestServer(create_app(fixture.settings)))
    await client.start_server()
    try:
        tokens = [fixture.token("wijkteam-utrecht") for _ in range(args.http_exchanges)]
        body = {
            "subject": {"bsn": BSN},
            "purpose": "support_planning",
            "categories": ["contact_details", "finances", "support_plan"],
            "sources": ["gi-jeugdbescherming-demo"],
        }
        queue = list(tokens)

        async def worker() -> None:
            while queue:
                token = queue.pop()
                response = await client.post(
                    "/api/v1/exchanges", json=body, headers={"Authorization": f"Bearer {token}"}
                )
                assert response.status == 200, await response.text()
                await response.read()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        http_seconds = time.perf_counter() - started
        http_rate = 3 * args.http_exchanges / http_seconds

        now = datetime.now(UTC)
        t0 = time.perf_counter()
        await seed_module.seed(  # type: ignore[attr-defined]
            client.app[ENGINE], args.decisions, start=now - timedelta(days=30),
            span=timedelta(days=29), make=_as_decided(client.app[POLICIES].engine),
        )  # fmt: skip
        print(f"seeded {args.decisions:,} decisions in {time.perf_counter() - t0:.0f}s")
        texts = {p.name: p.read_text() for p in sorted((REPO / "config/policies").glob("*.toml"))}
        texts["zz-bench.toml"] = STRICTER
        officer = fixture.token("veilig-thuis-utrecht", "regional_privacy_officer")
        profile = cProfile.Profile() if args.profile else None
        if profile is not None:
            profile.enable()
        started = time.perf_counter()
        response = await client.post(
            "/api/v1/policies/simulate",
            json={"policies": texts, "from": (now - timedelta(days=31)).isoformat(),
                  "to": now.isoformat()},
            headers={"Authorization": f"Bearer {officer}"},
        )  # fmt: skip
        answer = await response.json()
        sim_seconds = time.perf_counter() - started
        if profile is not None:
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        assert response.status == 200, answer
        replayed = answer["replayed"]
        sim_rate = replayed / sim_seconds
        print(f"HTTP replay: {3 * args.http_exchanges:,} decisions in {http_seconds:.2f}s "
              f"= {http_rate:,.0f} decisions/s ({args.concurrency} concurrent)")  # fmt: skip
        print(f"simulation:  {replayed:,} decisions in {sim_seconds:.2f}s = {sim_rate:,.0f} "
              f"decisions/s; {answer['changes_total']:,} would change, "
              f"{answer['undetermined_total']:,} undetermined")  # fmt: skip
        print(f"ratio simulation/HTTP per decision: {sim_rate / http_rate:.1f} (target >= 20)")
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--http-exchanges", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--profile", action="store_true", help="cProfile the simulation")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
