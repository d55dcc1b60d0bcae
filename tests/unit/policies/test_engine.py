"""The engine on the default policy set: each semantic rule and each reason code."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from policies import REASONS, DecisionContext, DecisionRequest, PolicyEngine, PolicySet

NOW = datetime(2026, 3, 15, 10, 0, tzinfo=UTC)


def request(**overrides: object) -> DecisionRequest:
    fields: dict[str, object] = {
        "requester_type": "wijkteam",
        "purpose": "support_planning",
        "source_type": "gi",
        "category": "contact_details",
        "at": NOW,
        "requester_region": "utrecht",
    }
    fields.update(overrides)
    return DecisionRequest(**fields)  # type: ignore[arg-type]


def test_consent_based_permit_names_rule_basis_and_consent(engine: PolicyEngine) -> None:
    decision = engine.decide(request())
    assert decision.effect == "permit"
    assert decision.reason == "permitted"
    assert decision.rule_ids == ("wijkteam-support-planning",)
    assert decision.legal_basis == "consent"
    assert decision.consent_required is True
    assert decision.consent_from == "subject"
    assert decision.policy_version == engine.version
    assert "toestemming" in decision.explanation_nl
    assert "consent" in decision.explanation_en


def test_nothing_matching_means_deny(engine: PolicyEngine) -> None:
    decision = engine.decide(request(category="court_decisions"))
    assert (decision.effect, decision.reason, decision.rule_ids) == ("deny", "no_matching_rule", ())


def test_unknown_terms_are_denied(engine: PolicyEngine) -> None:
    for field, value in (
        ("requester_type", "bakker"),
        ("purpose", "curiosity"),
        ("source_type", "bakker"),
        ("category", "shoe_size"),
    ):
        assert engine.decide(request(**{field: value})).reason == "no_matching_rule"


def test_reporter_identity_never_leaves_veilig_thuis(engine: PolicyEngine) -> None:
    for requester in ("wijkteam", "gi", "rvdk", "rvt"):
        for purpose in ("safety_assessment", "acute_safety", "child_protection_investigation"):
            decision = engine.decide(
                request(
                    requester_type=requester,
                    purpose=purpose,
                    source_type="veilig_thuis",
                    category="reporter_identity",
                    has_case_reference=True,
                    justification_length=500,
                    requester_region="utrecht-proeftuin",
                )
            )
            assert decision.effect == "deny"
            assert decision.reason == "forbidden_by_rule"
            assert decision.rule_ids == ("vt-reporter-identity-stays-in-vt",)


def test_health_needs_consent_for_wijkteam_but_not_where_statute_names_it(
    engine: PolicyEngine,
) -> None:
    wijkteam = engine.decide(request(category="health"))
    assert wijkteam.effect == "permit"
    assert wijkteam.consent_required
    assert wijkteam.statutory_reference == "AVG art. 9 lid 2 sub a"
    gi = engine.decide(
        request(
            requester_type="gi",
            purpose="protection_measure_execution",
            source_type="wijkteam",
            category="health",
            has_case_reference=True,
        )
    )
    assert gi.effect == "permit"
    assert not gi.consent_required
    assert gi.legal_basis == "public_task"
    assert gi.statutory_reference is not None
    assert "Jeugdwet" in gi.statutory_reference


def test_acute_safety_is_break_the_glass_with_justification_and_24_hours(
    engine: PolicyEngine,
) -> None:
    asked = request(requester_type="gi", purpose="acute_safety", category="health")
    short = engine.decide(replace(asked, justification_length=39))
    assert (short.effect, short.reason) == ("deny", "justification_required")
    assert "40" in short.explanation_nl
    granted = engine.decide(replace(asked, justification_length=40))
    assert granted.effect == "permit"
    assert granted.break_glass
    assert granted.max_duration_hours == 24
    assert granted.legal_basis == "vital_interest"
    assert not granted.consent_required


def test_monitoring_returns_aggregates_only_and_never_health(engine: PolicyEngine) -> None:
    counted = engine.decide(request(purpose="monitoring", category="support_plan"))
    assert counted.effect == "permit"
    assert counted.aggregates_only
    health = engine.decide(request(purpose="monitoring", category="health"))
    assert (health.effect, health.reason) == ("deny", "forbidden_by_rule")
    assert health.rule_ids == ("monitoring-no-sensitive-data",)


def test_rvt_rules_apply_only_in_the_pilot_region(engine: PolicyEngine) -> None:
    asked = request(
        requester_type="rvt",
        purpose="safety_assessment",
        category="safety_assessment",
        has_case_reference=True,
        requester_region="utrecht-proeftuin",
    )
    assert engine.decide(asked).effect == "permit"
    outside = engine.decide(replace(asked, requester_region="utrecht"))
    assert (outside.effect, outside.reason) == ("deny", "outside_region")
    assert outside.rule_ids == ("rvt-pilot-protection",)
    assert "utrecht-proeftuin" in outside.explanation_nl


def test_rvt_rules_are_not_in_force_after_the_pilot(engine: PolicyEngine) -> None:
    asked = request(
        requester_type="rvt",
        purpose="safety_assessment",
        category="safety_assessment",
        has_case_reference=True,
        requester_region="utrecht-proeftuin",
    )
    last_moment = datetime(2027, 12, 31, 22, 59, 59, tzinfo=UTC)  # 23:59:59 in Amsterdam
    assert engine.decide(replace(asked, at=last_moment)).effect == "permit"
    after = engine.decide(replace(asked, at=datetime(2027, 12, 31, 23, 0, tzinfo=UTC)))
    assert (after.effect, after.reason) == ("deny", "rule_not_in_force")
    assert "2027-12-31" in after.explanation_nl


def test_conditions_regiehouder_case_reference_and_age(engine: PolicyEngine) -> None:
    handover = request(source_type="veilig_thuis", category="safety_assessment")
    missing = engine.decide(handover)
    assert (missing.effect, missing.reason) == ("deny", "condition_not_met")
    assert "regiehouder" in missing.explanation_nl
    ok = engine.decide(replace(handover, requester_is_regiehouder=True, has_case_reference=True))
    assert ok.effect == "permit"
    assert ok.legal_basis == "public_task"
    school = request(category="school")
    assert engine.decide(replace(school, subject_age=None)).reason == "condition_not_met"
    assert engine.decide(replace(school, subject_age=4)).reason == "condition_not_met"
    assert engine.decide(replace(school, subject_age=5)).effect == "permit"
    assert engine.decide(replace(school, subject_age=17)).effect == "permit"
    assert engine.decide(replace(school, subject_age=18)).reason == "condition_not_met"


def test_role_restricted_rule(engine: PolicyEngine) -> None:
    asked = request(
        requester_type="rvdk",
        purpose="child_protection_investigation",
        category="criminal_records",
        has_case_reference=True,
    )
    denied = engine.decide(replace(asked, requester_role="teamleider"))
    assert (denied.effect, denied.reason) == ("deny", "role_not_permitted")
    assert engine.decide(replace(asked, requester_role="raadsonderzoeker")).effect == "permit"


def test_restricted_data_goes_to_the_portal_only_about_oneself(engine: PolicyEngine) -> None:
    portal = request(
        requester_type="household",
        purpose="client_access",
        category="shelter_address",
        channel="household_portal",
    )
    other = engine.decide(replace(portal, about_self=False))
    assert (other.effect, other.reason) == ("deny", "restricted_to_self")
    assert engine.decide(replace(portal, about_self=True)).effect == "permit"
    reporter = engine.decide(
        replace(portal, about_self=True, category="reporter_identity", source_type="veilig_thuis")
    )
    assert reporter.reason == "forbidden_by_rule"


def test_portal_requester_on_the_organisation_channel_is_denied(engine: PolicyEngine) -> None:
    decision = engine.decide(
        request(requester_type="household", purpose="client_access", about_self=True)
    )
    assert decision.reason == "no_matching_rule"


def test_vt_safety_assessment_is_confidential(engine: PolicyEngine) -> None:
    decision = engine.decide(
        request(
            requester_type="veilig_thuis",
            purpose="safety_assessment",
            source_type="wijkteam",
            category="health",
            has_case_reference=True,
        )
    )
    assert decision.effect == "permit"
    assert decision.confidential
    assert not decision.consent_required


def test_decide_all_answers_every_item_in_order(engine: PolicyEngine) -> None:
    context = DecisionContext(
        requester_type="gi",
        purpose="protection_measure_execution",
        at=NOW,
        has_case_reference=True,
    )
    items = [
        (source, category)
        for source in ("wijkteam", "veilig_thuis", "gi", "rvdk")
        for category in ("contact_details", "health", "reporter_identity", "criminal_records")
    ]
    decisions = engine.decide_all(context, items)
    assert len(decisions) == len(items)
    for (source, category), decision in zip(items, decisions, strict=True):
        assert decision == engine.decide(context.request(source, category))
    effects = dict(zip(items, (d.effect for d in decisions), strict=True))
    assert effects[("rvdk", "health")] == "deny"  # rvdk not among the health sources
    assert effects[("wijkteam", "health")] == "permit"
    assert effects[("veilig_thuis", "reporter_identity")] == "deny"


def test_every_reason_the_engine_gives_is_published(engine: PolicyEngine) -> None:
    seen = set()
    for category in ("contact_details", "school", "health", "shelter_address", "court_decisions"):
        for requester in ("wijkteam", "rvdk", "rvt", "household"):
            decision = engine.decide(
                request(requester_type=requester, category=category, purpose="acute_safety")
            )
            seen.add(decision.reason)
    assert seen <= set(REASONS)
    assert len(set(REASONS)) == len(REASONS)


def test_equal_outcomes_share_one_decision_and_decisions_are_fast(
    engine: PolicyEngine, default_set: PolicySet
) -> None:
    first = engine.decide(request())
    assert engine.decide(request(subject_age=9)) is first
    start = time.perf_counter()
    for _ in range(2000):
        engine.decide(request())
    assert (time.perf_counter() - start) / 2000 < 50e-6
    assert PolicyEngine(default_set).decide(request()) == first


def test_requests_need_a_timezone_aware_moment() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        request(at=datetime(2026, 3, 15, 10, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        DecisionContext(requester_type="gi", purpose="monitoring", at=datetime(2026, 3, 15))


def test_a_missing_registered_case_is_named_as_the_reason(engine: PolicyEngine) -> None:
    measure = DecisionRequest(
        requester_type="gi",
        purpose="protection_measure_execution",
        source_type="wijkteam",
        category="contact_details",
        at=datetime(2026, 3, 15, 9, tzinfo=UTC),
    )
    denied = engine.decide(measure)
    assert (denied.effect, denied.reason) == ("deny", "case_reference_required")
    assert "open case" in denied.explanation_en
    assert engine.decide(replace(measure, has_case_reference=True)).permitted
