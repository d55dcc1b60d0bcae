"""Properties of the policy engine, loader and version, on generated rules and requests."""

from __future__ import annotations

import random
import tempfile
from dataclasses import replace
from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import (
    POLICY_CATEGORIES,
    decision_requests,
    loadable_rule_sets,
    policy_rule_sets,
    policy_rules,
    policy_vocabulary,
    rule_to_toml,
)

from policies import DecisionRequest, PolicyEngine, PolicySet, Rule, Vocabulary
from policies.loader import load_policy_set, validate_rules

VOCABULARY = policy_vocabulary()
SENSITIVE = tuple(c for c, s in POLICY_CATEGORIES.items() if s != "normal")


def _in_scope(rule: Rule, vocabulary: Vocabulary, request: DecisionRequest) -> bool:
    """Straight from the documented semantics, independent of the engine's index."""
    organisations = vocabulary.organisation_types
    category = vocabulary.categories.get(request.category)
    requester_ok = request.requester_type in rule.requester_types or (
        "*" in rule.requester_types and request.requester_type in organisations
    )
    source_ok = request.source_type in rule.source_types or (
        "*" in rule.source_types and request.source_type in organisations
    )
    category_ok = request.category in rule.categories or (
        "*" in rule.categories and category is not None and category.sensitivity == "normal"
    )
    return requester_ok and request.purpose in rule.purposes and source_ok and category_ok


def _holds(rule: Rule, request: DecisionRequest) -> bool:
    ts = request.at.timestamp()
    age = request.subject_age
    c = rule.conditions
    return (
        (not rule.requester_roles or request.requester_role in rule.requester_roles)
        and (not rule.regions or request.requester_region in rule.regions)
        and (rule.valid_from is None or ts >= rule.valid_from)
        and (rule.valid_until is None or ts < rule.valid_until)
        and (c.min_age is None or (age is not None and age >= c.min_age))
        and (c.max_age is None or (age is not None and age <= c.max_age))
        and (not c.requester_is_regiehouder or request.requester_is_regiehouder)
        and (not c.case_reference_required or request.has_case_reference)
        and request.justification_length >= (rule.min_justification_length or 0)
    )


def reference_effect(rules: list[Rule], vocabulary: Vocabulary, request: DecisionRequest) -> str:
    kind = vocabulary.requester_types.get(request.requester_type)
    category = vocabulary.categories.get(request.category)
    if kind is None or kind.channel != request.channel:
        return "deny"
    if (
        category is not None
        and category.sensitivity == "restricted"
        and request.channel == "household_portal"
        and not request.about_self
    ):
        return "deny"
    applicable = [r for r in rules if _in_scope(r, vocabulary, request) and _holds(r, request)]
    if any(r.effect == "forbid" for r in applicable):
        return "deny"
    return "permit" if any(r.effect == "permit" for r in applicable) else "deny"


@settings(max_examples=100, deadline=None)
@given(rules=policy_rule_sets(), requests=st.lists(decision_requests(), min_size=1, max_size=15))
def test_engine_agrees_with_reference_semantics(
    rules: list[Rule], requests: list[DecisionRequest]
) -> None:
    engine = PolicyEngine(PolicySet.build(VOCABULARY, rules))
    for request in requests:
        decision = engine.decide(request)
        assert decision.effect == reference_effect(rules, VOCABULARY, request), request
        if decision.effect == "permit":
            assert decision.reason == "permitted"
            permits = {r.id: r for r in rules if r.effect == "permit"}
            assert decision.rule_ids
            assert all(rule_id in permits for rule_id in decision.rule_ids)
            assert all(_holds(permits[rule_id], request) for rule_id in decision.rule_ids)
        else:
            assert decision.reason != "permitted"


@settings(max_examples=100, deadline=None)
@given(
    rules=st.lists(policy_rules(), max_size=8),
    requests=st.lists(decision_requests(), min_size=1, max_size=15),
)
def test_deny_by_default_without_permit_rules(
    rules: list[Rule], requests: list[DecisionRequest]
) -> None:
    forbids = [
        replace(r, id=f"forbid-{n}", effect="forbid", legal_basis=None, consent_required=False)
        for n, r in enumerate(rules)
    ]
    for policy_set in (PolicySet.build(VOCABULARY, []), PolicySet.build(VOCABULARY, forbids)):
        engine = PolicyEngine(policy_set)
        for request in requests:
            decision = engine.decide(request)
            assert decision.effect == "deny"
            assert decision.reason in {
                "no_matching_rule",
                "forbidden_by_rule",
                "restricted_to_self",
            }


@settings(max_examples=100, deadline=None)
@given(
    rules=policy_rule_sets(),
    request=decision_requests(),
    seed=st.integers(0, 2**32 - 1),
)
def test_forbid_wins_in_any_order(rules: list[Rule], request: DecisionRequest, seed: int) -> None:
    assume(request.category in VOCABULARY.categories)
    forbid = Rule(
        id="zz-forbid",
        effect="forbid",
        description_nl="Nooit.",
        description_en="Never.",
        requester_types=frozenset({request.requester_type}),
        purposes=frozenset({request.purpose}),
        source_types=frozenset({request.source_type}),
        categories=frozenset({request.category}),
    )
    permit = replace(
        forbid,
        id="aa-permit",
        effect="permit",
        legal_basis="public_task",
        statutory_reference="Wet art. 1",
    )
    everything = [*rules, permit, forbid]
    baseline = PolicyEngine(PolicySet.build(VOCABULARY, everything)).decide(request)
    shuffled = list(everything)
    random.Random(seed).shuffle(shuffled)
    decision = PolicyEngine(PolicySet.build(VOCABULARY, shuffled)).decide(request)
    assert decision == baseline
    assert decision.effect == "deny"
    if reference_effect([permit], VOCABULARY, request) == "permit":  # channel and self fine
        assert decision.reason == "forbidden_by_rule"
        assert "zz-forbid" in decision.rule_ids


@settings(max_examples=100, deadline=None)
@given(
    rules=st.lists(policy_rules(), max_size=8),
    requests=st.lists(decision_requests(), min_size=1, max_size=15),
    category=st.sampled_from(SENSITIVE),
)
def test_wildcard_category_never_reaches_sensitive_data(
    rules: list[Rule], requests: list[DecisionRequest], category: str
) -> None:
    wildcard_only = [
        replace(r, id=f"rule-{n}", categories=frozenset({"*"})) for n, r in enumerate(rules)
    ]
    engine = PolicyEngine(PolicySet.build(VOCABULARY, wildcard_only))
    for request in requests:
        decision = engine.decide(replace(request, category=category))
        assert decision.effect == "deny"
        assert decision.reason in {"no_matching_rule", "restricted_to_self"}


_MUTATIONS = (
    lambda r: replace(r, description_nl=r.description_nl + " Ook."),
    lambda r: replace(r, description_en=r.description_en + " Also."),
    lambda r: replace(r, effect="forbid" if r.effect == "permit" else "permit"),
    lambda r: replace(r, confidential=not r.confidential),
    lambda r: replace(r, purposes=r.purposes ^ {"monitoring"} or frozenset({"school"})),
    lambda r: replace(r, categories=r.categories ^ {"health"} or frozenset({"school"})),
    lambda r: replace(r, regions=r.regions ^ {"elders"}),
    lambda r: replace(r, valid_until=(r.valid_until or 1_900_000_000) + 1),
    lambda r: replace(
        r,
        conditions=replace(
            r.conditions, case_reference_required=not r.conditions.case_reference_required
        ),
    ),
    lambda r: replace(r, id=r.id + "-b"),
)


@settings(max_examples=100, deadline=None)
@given(
    rules=policy_rule_sets().filter(bool),
    seed=st.integers(0, 2**32 - 1),
    index=st.integers(0, 100),
    mutation=st.integers(0, len(_MUTATIONS) - 1),
)
def test_version_changes_iff_content_changes(
    rules: list[Rule], seed: int, index: int, mutation: int
) -> None:
    version = PolicySet.build(VOCABULARY, rules).version
    shuffled = [replace(r, source_file=f"policies/{n}.toml") for n, r in enumerate(rules)]
    random.Random(seed).shuffle(shuffled)
    assert PolicySet.build(VOCABULARY, shuffled).version == version
    changed = list(rules)
    position = index % len(rules)
    changed[position] = _MUTATIONS[mutation](changed[position])
    assert changed[position] != rules[position]
    assert PolicySet.build(VOCABULARY, changed).version != version


def _write(rules: list[Rule], directory: Path, seed: int) -> None:
    rng = random.Random(seed)
    files: dict[str, list[str]] = {}
    for rule in rules:
        name = rng.choice(["a", "b", "zz", "00-first"]) + ".toml"
        files.setdefault(name, []).append(rule_to_toml(rule, rng))
    (directory / "policies").mkdir()
    for name, tables in files.items():
        rng.shuffle(tables)
        (directory / "policies" / name).write_text("\n".join(tables), encoding="utf-8")


@settings(max_examples=60, deadline=None)
@given(
    rules=loadable_rule_sets(),
    seeds=st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)),
    requests=st.lists(decision_requests(), min_size=1, max_size=20),
)
def test_loaded_files_give_same_rules_version_and_decisions_in_any_layout(
    rules: list[Rule], seeds: tuple[int, int], requests: list[DecisionRequest]
) -> None:
    assume(not validate_rules(rules, VOCABULARY))
    expected = PolicySet.build(VOCABULARY, rules)
    loaded = []
    for seed in seeds:
        with tempfile.TemporaryDirectory() as tmp:
            _write(rules, Path(tmp), seed)
            loaded.append(load_policy_set(Path(tmp), VOCABULARY))
    for policy_set in loaded:
        assert policy_set.rules == expected.rules
        assert policy_set.version == expected.version
    engines = [PolicyEngine(p) for p in (expected, *loaded)]
    for request in requests:
        decisions = {engine.decide(request) for engine in engines}
        assert len(decisions) == 1
