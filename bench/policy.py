"""Benchmark: the policy engine against cedarpy on the same policy set and requests.

Run: .venv/bin/python bench/policy.py [--requests N] [--rounds R]

Both sides answer the same generated requests over the default policy set in
config/: our `PolicyEngine.decide` and `cedarpy.is_authorized` with the exported
Cedar policies and entities parsed once up front (`PolicySet.from_str`,
`Entities.from_json_str`) and the Cedar requests built before timing. Each side is
timed over R rounds; the best round counts. A bare dict look-up gives the floor.
It also times one full exchange decision set (4 sources x 8 categories) through
`decide_all`. Bounded to well under a minute on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import cedarpy

from policies import (
    DecisionContext,
    DecisionRequest,
    PolicyEngine,
    PolicySet,
    cedar_request,
    export_cedar,
    load_policy_set,
)

CONFIG = Path(__file__).resolve().parent.parent / "config"


def generate_requests(policy_set: PolicySet, count: int, seed: int) -> list[DecisionRequest]:
    """Realistic mixes: every requester, purpose, source and category, varied context."""
    vocabulary = policy_set.vocabulary
    rng = random.Random(seed)
    requesters = sorted(vocabulary.requester_types)
    roles = sorted({r for kind in vocabulary.organisation_types.values() for r in kind.roles})
    instants = [datetime(2024, 6, 1, tzinfo=UTC), datetime(2026, 3, 15, 12, tzinfo=UTC)]
    requests = []
    for _ in range(count):
        requester = rng.choice(requesters)
        requests.append(
            DecisionRequest(
                requester_type=requester,
                purpose=rng.choice(sorted(vocabulary.purposes)),
                source_type=rng.choice(sorted(vocabulary.organisation_types)),
                category=rng.choice(sorted(vocabulary.categories)),
                at=rng.choice(instants),
                requester_role=rng.choice([None, *roles]),
                requester_region=rng.choice(["utrecht", "utrecht-proeftuin"]),
                subject_age=rng.choice([None, 5, 12, 16, 40]),
                requester_is_regiehouder=rng.random() < 0.5,
                has_case_reference=rng.random() < 0.7,
                channel=vocabulary.requester_types[requester].channel,
                about_self=rng.random() < 0.5,
                justification_length=rng.choice([0, 80]),
            )
        )
    return requests


def best_seconds(run: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    policy_set = load_policy_set(CONFIG)
    engine = PolicyEngine(policy_set)
    export = export_cedar(policy_set)
    cedar_policies = cedarpy.PolicySet.from_str(export.policies)
    cedar_entities = cedarpy.Entities.from_json_str(json.dumps(export.entities))
    requests = generate_requests(policy_set, args.requests, seed=1)
    cedar_requests = [cedar_request(r) for r in requests]

    ours = [engine.decide(r).effect for r in requests]
    theirs = [
        "permit" if cedarpy.is_authorized(c, cedar_policies, cedar_entities).allowed else "deny"
        for c in cedar_requests
    ]
    if ours != theirs:
        print("engine and Cedar disagree: benchmark aborted", file=sys.stderr)
        return 1

    decide = engine.decide
    is_authorized = cedarpy.is_authorized
    table = {(r.requester_type, r.purpose, r.source_type, r.category): 1 for r in requests}

    def run_engine() -> None:
        for request in requests:
            decide(request)

    def run_cedar() -> None:
        for request in cedar_requests:
            is_authorized(request, cedar_policies, cedar_entities)

    def run_dict() -> None:
        for r in requests:
            table.get((r.requester_type, r.purpose, r.source_type, r.category))

    # The harder half: requests some rule covers (no early no_matching_rule exit).
    covered = [r for r in requests if engine.candidate_rules(r)]
    covered_cedar = [cedar_request(r) for r in covered]

    def run_engine_covered() -> None:
        for request in covered:
            decide(request)

    def run_cedar_covered() -> None:
        for request in covered_cedar:
            is_authorized(request, cedar_policies, cedar_entities)

    cedar_rounds = max(1, min(args.rounds, 3))
    n = len(requests)
    engine_us = best_seconds(run_engine, args.rounds) / n * 1e6
    cedar_us = best_seconds(run_cedar, cedar_rounds) / n * 1e6
    dict_us = best_seconds(run_dict, args.rounds) / n * 1e6
    engine_cov_us = best_seconds(run_engine_covered, args.rounds) / len(covered) * 1e6
    cedar_cov_us = best_seconds(run_cedar_covered, cedar_rounds) / len(covered) * 1e6

    context = DecisionContext(
        requester_type="gi",
        purpose="protection_measure_execution",
        at=datetime(2026, 3, 15, 12, tzinfo=UTC),
        requester_region="utrecht",
        has_case_reference=True,
    )
    sources = ["wijkteam", "veilig_thuis", "gi", "rvdk"]
    categories = [
        "contact_details", "household_composition", "support_plan", "safety_assessment",
        "protection_measures", "court_decisions", "health", "reporter_identity",
    ]  # fmt: skip
    items = [(s, c) for s in sources for c in categories]
    repeats = 2000

    def run_exchange() -> None:
        for _ in range(repeats):
            engine.decide_all(context, items)

    exchange_us = best_seconds(run_exchange, args.rounds) / repeats * 1e6

    permits = ours.count("permit")
    print(f"policy set {policy_set.version[:19]}…: {len(policy_set.rules)} rules")
    print(f"requests: {n} generated ({permits} permit, {n - permits} deny); effects agree")
    print(f"engine   : {engine_us:8.2f} µs/decision  {1e6 / engine_us:12,.0f} decisions/s")
    print(f"cedarpy  : {cedar_us:8.2f} µs/decision  {1e6 / cedar_us:12,.0f} decisions/s")
    print(f"dict     : {dict_us:8.2f} µs/look-up   (bare dict index, the floor)")
    print(f"ratio    : engine is {cedar_us / engine_us:.1f}x cedarpy's decisions/s (target >= 30x)")
    print(
        f"covered  : {len(covered)} requests some rule covers: engine {engine_cov_us:.2f} µs, "
        f"cedarpy {cedar_cov_us:.2f} µs, ratio {cedar_cov_us / engine_cov_us:.1f}x"
    )
    print(
        f"exchange : {exchange_us:8.2f} µs for {len(items)} decisions "
        f"({len(sources)} sources x {len(categories)} categories, target < 100 µs)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
