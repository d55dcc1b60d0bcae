"""Differential test: the engine and the exported Cedar policies give the same effect.

Cedar (`cedarpy`) evaluates the policies `policies.cedar.export_cedar` writes, on the
entity store it exports, for the same requests the engine answers. On generated
rule sets and on the default policy set in config/, every effect must agree.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import cedarpy
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import decision_requests, policy_rule_sets, policy_vocabulary

from policies import (
    DecisionRequest,
    PolicyEngine,
    PolicySet,
    Rule,
    cedar_request,
    export_cedar,
    load_policy_set,
)

CONFIG = Path(__file__).resolve().parents[2] / "config"
VOCABULARY = policy_vocabulary()


def _cedar_effects(policy_set: PolicySet, requests: list[DecisionRequest]) -> list[str]:
    export = export_cedar(policy_set)
    policies = cedarpy.PolicySet.from_str(export.policies)
    entities = cedarpy.Entities.from_json_str(json.dumps(export.entities))
    results = cedarpy.is_authorized_batch([cedar_request(r) for r in requests], policies, entities)
    return ["permit" if result.allowed else "deny" for result in results]


@settings(max_examples=100, deadline=None)
@given(rules=policy_rule_sets(), requests=st.lists(decision_requests(), min_size=20, max_size=20))
def test_engine_and_cedar_agree_on_generated_rule_sets(
    rules: list[Rule], requests: list[DecisionRequest]
) -> None:
    policy_set = PolicySet.build(VOCABULARY, rules)
    engine = PolicyEngine(policy_set)
    expected = [engine.decide(r).effect for r in requests]
    assert _cedar_effects(policy_set, requests) == expected


def _default_requests(policy_set: PolicySet, count: int, seed: int) -> list[DecisionRequest]:
    vocabulary = policy_set.vocabulary
    rng = random.Random(seed)
    requesters = sorted(vocabulary.requester_types)
    roles = sorted({r for k in vocabulary.organisation_types.values() for r in k.roles})
    instants = [
        datetime(2024, 6, 1, tzinfo=UTC),
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2026, 3, 15, 12, tzinfo=UTC),
        datetime(2027, 12, 31, 22, 59, 59, tzinfo=UTC),
        datetime(2027, 12, 31, 23, 0, tzinfo=UTC),
        datetime(2028, 1, 2, tzinfo=UTC),
    ]
    requests = []
    for _ in range(count):
        requester = rng.choice(requesters)
        channel = vocabulary.requester_types[requester].channel
        requests.append(
            DecisionRequest(
                requester_type=requester,
                purpose=rng.choice(sorted(vocabulary.purposes)),
                source_type=rng.choice(sorted(vocabulary.organisation_types)),
                category=rng.choice(sorted(vocabulary.categories)),
                at=rng.choice(instants),
                requester_role=rng.choice([None, *roles]),
                requester_region=rng.choice(["", "utrecht", "utrecht-proeftuin"]),
                subject_age=rng.choice([None, 3, 5, 11, 12, 15, 16, 17, 18, 40]),
                requester_is_regiehouder=rng.random() < 0.5,
                has_case_reference=rng.random() < 0.7,
                channel=channel,
                about_self=rng.random() < 0.5,
                justification_length=rng.choice([0, 39, 40, 200]),
            )
        )
    return requests


def test_default_policy_set_exports_valid_cedar() -> None:
    export = export_cedar(load_policy_set(CONFIG))
    result = cedarpy.validate_policies(export.policies, export.schema)
    assert result.validation_passed, [str(e) for e in result.errors]


def test_engine_and_cedar_agree_on_the_default_policy_set() -> None:
    policy_set = load_policy_set(CONFIG)
    engine = PolicyEngine(policy_set)
    requests = _default_requests(policy_set, 4000, seed=20240601)
    expected = [engine.decide(r).effect for r in requests]
    assert _cedar_effects(policy_set, requests) == expected
    assert 100 < expected.count("permit") < len(expected)  # both outcomes exercised
