"""Replaying recorded decisions through a candidate rule set (`policies.simulation`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support import REPO

from policies import PolicyLoadError, PolicySet
from policies.simulation import RecordedDecision, diff_rules, load_candidate, replay

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def texts() -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((REPO / "config" / "policies").glob("*.toml"))}


def recorded(**overrides: object) -> RecordedDecision:
    fields: dict[str, object] = {
        "seq": 1,
        "at": AT,
        "requester_type": "wijkteam",
        "purpose": "support_planning",
        "source_type": "gi",
        "category": "finances",
        "decision": "permit",
        "reason": "permitted",
        "rule_ids": ("wijkteam-support-planning",),
        "requester_role": "hulpverlener",
        "requester_region": "utrecht",
        "consent_present": True,
    }
    fields.update(overrides)
    return RecordedDecision(**fields)  # type: ignore[arg-type]


def test_the_candidate_is_checked_like_the_loader_and_every_problem_listed(
    default_set: PolicySet,
) -> None:
    bad = {"a.toml": "not = [toml", "b.toml": '[[rules]]\nid = "Bad Id"\n'}
    with pytest.raises(PolicyLoadError) as caught:
        load_candidate(bad, default_set.vocabulary, max_rules=10)
    problems = caught.value.problems
    assert any(p.startswith("policies/a.toml: invalid TOML") for p in problems)
    assert sum(p.startswith("policies/b.toml") for p in problems) >= 2


def test_more_rules_than_allowed_is_a_problem_not_a_truncation(default_set: PolicySet) -> None:
    with pytest.raises(PolicyLoadError) as caught:
        load_candidate(texts(), default_set.vocabulary, max_rules=3)
    assert any("at most 3 may be simulated" in p for p in caught.value.problems)


def test_the_rules_in_force_reproduce_the_recorded_decision(default_set: PolicySet) -> None:
    candidate = load_candidate(texts(), default_set.vocabulary, max_rules=500)
    assert candidate.version == default_set.version
    result = replay(
        candidate,
        [
            recorded(),
            recorded(seq=2, consent_present=False, decision="deny", reason="consent_required"),
        ],
    )
    assert result.replayed == 2 and result.changes == () and result.undetermined == ()


def test_dropping_a_rule_turns_its_permits_into_denials_naming_why(
    default_set: PolicySet,
) -> None:
    files = texts()
    files["wijkteam.toml"] = files["wijkteam.toml"].replace(
        'categories = ["contact_details", "household_composition", "support_plan", "finances"]',
        'categories = ["contact_details", "household_composition", "support_plan"]',
    )
    candidate = load_candidate(files, default_set.vocabulary, max_rules=500)
    (change,) = replay(candidate, [recorded()]).changes
    assert change.direction == "permit_to_deny" and change.reason == "no_matching_rule"
    (changed,) = diff_rules(default_set.rules, candidate.rules).changed
    assert changed[1].id == "wijkteam-support-planning" and changed[2] == ("categories",)


def test_an_age_rule_without_the_recorded_age_is_undetermined_not_guessed(
    default_set: PolicySet,
) -> None:
    candidate = load_candidate(texts(), default_set.vocabulary, max_rules=500)
    school = recorded(category="school", rule_ids=("wijkteam-support-planning-school",))
    result = replay(candidate, [school])
    assert result.changes == ()
    ((item, missing),) = result.undetermined
    assert item.seq == 1 and missing == ("subject_age",)


def test_a_consent_the_recorded_decision_never_checked_is_undetermined(
    default_set: PolicySet,
) -> None:
    candidate = load_candidate(texts(), default_set.vocabulary, max_rules=500)
    unknown = recorded(consent_present=None, decision="deny", reason="no_matching_rule")
    ((_, missing),) = replay(candidate, [unknown]).undetermined
    assert missing == ("consent",)


def test_the_portal_never_has_consent_to_offer(default_set: PolicySet) -> None:
    candidate = load_candidate(texts(), default_set.vocabulary, max_rules=500)
    own = recorded(
        requester_type="household",
        channel="household_portal",
        about_self=True,
        requester_role=None,
        category="contact_details",
        source_type="wijkteam",
        rule_ids=(),
        consent_present=None,
    )
    result = replay(candidate, [own, own._replace(seq=2)])
    assert result.undetermined == ()
