"""Strict loading: every problem reported at once, naming file and rule; nothing half-loaded."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from policies import (
    DecisionRequest,
    PolicyEngine,
    PolicyLoadError,
    PolicySet,
    load_policy_set,
    load_vocabulary,
)

PERMIT = """
[[rules]]
id = "{id}"
effect = "permit"
description = {{ nl = "Mag.", en = "May." }}
requester_types = ["wijkteam"]
purposes = ["support_planning"]
source_types = ["gi"]
categories = ["{category}"]
legal_basis = "public_task"
statutory_reference = "Jeugdwet art. 7.4.0"
"""


def _problems(directory: Path) -> list[str]:
    with pytest.raises(PolicyLoadError) as caught:
        load_policy_set(directory)
    assert str(len(caught.value.problems)) in str(caught.value)
    return caught.value.problems


def test_default_policy_set_loads_with_a_sha256_version(default_set: PolicySet) -> None:
    assert default_set.version.startswith("sha256:")
    assert len(default_set.version) == len("sha256:") + 64
    assert len(default_set.rules) >= 15
    assert [r.id for r in default_set.rules] == sorted(r.id for r in default_set.rules)
    vocabulary = default_set.vocabulary
    assert {"wijkteam", "veilig_thuis", "gi", "rvdk", "rvt"} <= set(vocabulary.organisation_types)
    assert vocabulary.categories["reporter_identity"].sensitivity == "restricted"
    assert vocabulary.categories["health"].sensitivity == "special"
    assert vocabulary.categories["criminal_records"].sensitivity == "criminal"
    assert vocabulary.purposes["acute_safety"].break_glass
    assert vocabulary.purposes["monitoring"].aggregates_only


def test_every_problem_in_every_file_is_reported_with_file_and_rule(
    rules_only: Callable[[dict[str, str]], Path],
) -> None:
    directory = rules_only(
        {
            "a.toml": PERMIT.format(id="good", category="contact_details")
            + PERMIT.format(id="typo", category="helth").replace(
                'effect = "permit"', 'effect = "permit"\ncolour = "blue"'
            ),
            "b.toml": PERMIT.format(id="no-reference", category="school").replace(
                'statutory_reference = "Jeugdwet art. 7.4.0"\n', ""
            ),
            "c.toml": "[[rules]\nid = ",
        }
    )
    problems = _problems(directory)
    assert any(
        p.startswith("policies/a.toml: rule 'typo'") and "unknown category 'helth'" in p
        for p in problems
    )
    assert any(
        p.startswith("policies/a.toml: rule 'typo'") and "unknown key 'colour'" in p
        for p in problems
    )
    assert any(
        p.startswith("policies/b.toml: rule 'no-reference'") and "statutory_reference" in p
        for p in problems
    )
    assert any(p.startswith("policies/c.toml: invalid TOML") for p in problems)
    assert not any("'good'" in p for p in problems)


def test_unknown_types_purposes_and_bases_are_named(
    rules_only: Callable[[dict[str, str]], Path],
) -> None:
    text = (
        PERMIT.format(id="x", category="school")
        .replace('["wijkteam"]', '["bakker"]')
        .replace('["support_planning"]', '["curiosity"]')
        .replace('"public_task"', '"whim"')
        .replace('["gi"]', '["household"]')
    )
    problems = _problems(rules_only({"x.toml": text}))
    joined = "\n".join(problems)
    for expected in (
        "unknown requester type 'bakker'",
        "unknown purpose 'curiosity'",
        "unknown legal basis 'whim'",
        "unknown source type 'household'",
    ):
        assert expected in joined
    assert all(p.startswith("policies/x.toml: rule 'x'") for p in problems)


def test_a_permit_that_a_forbid_always_overrides_is_rejected(
    rules_only: Callable[[dict[str, str]], Path],
) -> None:
    forbid = """
[[rules]]
id = "never-school"
effect = "forbid"
description = { nl = "Nooit.", en = "Never." }
requester_types = ["*"]
purposes = ["support_planning"]
source_types = ["*"]
categories = ["school"]
"""
    problems = _problems(
        rules_only({"a.toml": PERMIT.format(id="school", category="school"), "b.toml": forbid})
    )
    assert problems == [
        "policies/a.toml: rule 'school': can never fire: every request it permits is "
        "forbidden by never-school"
    ]


def test_a_forbid_with_a_narrower_condition_does_not_shadow(
    rules_only: Callable[[dict[str, str]], Path],
) -> None:
    forbid = """
[[rules]]
id = "never-school-for-toddlers"
effect = "forbid"
description = { nl = "Nooit.", en = "Never." }
requester_types = ["wijkteam"]
purposes = ["support_planning"]
source_types = ["gi"]
categories = ["school"]
conditions = { max_age = 3 }
"""
    directory = rules_only({"a.toml": PERMIT.format(id="school", category="school") + forbid})
    assert len(load_policy_set(directory).rules) == 2


def test_contradictory_permits_and_duplicate_ids_are_rejected(
    rules_only: Callable[[dict[str, str]], Path],
) -> None:
    consent = (
        PERMIT.format(id="school-consent", category="school")
        .replace('"public_task"', '"consent"')
        .replace('statutory_reference = "Jeugdwet art. 7.4.0"', "")
    )
    problems = _problems(
        rules_only(
            {
                "a.toml": PERMIT.format(id="school", category="school"),
                "b.toml": consent + PERMIT.format(id="school", category="finances"),
            }
        )
    )
    assert any("duplicate rule id (also in policies/a.toml)" in p for p in problems)
    assert any("contradicts rule 'school'" in p and "'school-consent'" in p for p in problems)


def test_a_wildcard_category_loads_but_reaches_only_normal_categories(
    rules_only: Callable[[dict[str, str]], Path],
) -> None:
    text = PERMIT.format(id="all", category="*").replace('["wijkteam"]', '["household"]')
    text = text.replace('["support_planning"]', '["client_access"]')
    policy_set = load_policy_set(rules_only({"a.toml": text}))
    assert policy_set.rules[0].categories == {"*"}
    engine = PolicyEngine(policy_set)
    asked = DecisionRequest(
        requester_type="household",
        purpose="client_access",
        source_type="gi",
        category="school",
        at=datetime(2026, 1, 1, tzinfo=UTC),
        channel="household_portal",
        about_self=True,
    )
    assert engine.decide(asked).effect == "permit"
    for category in ("health", "criminal_records", "shelter_address", "reporter_identity"):
        assert engine.decide(replace(asked, category=category)).reason == "no_matching_rule"


def test_break_glass_rules_need_duration_and_justification(
    rules_only: Callable[[dict[str, str]], Path],
) -> None:
    text = PERMIT.format(id="emergency", category="contact_details").replace(
        '["support_planning"]', '["acute_safety"]'
    )
    problems = _problems(rules_only({"a.toml": text}))
    assert any(
        "break_glass = { max_duration_hours, min_justification_length }" in p for p in problems
    )
    fixed = text + "break_glass = { max_duration_hours = 24, min_justification_length = 20 }\n"
    rule = load_policy_set(rules_only({"b.toml": fixed})).rules[0]
    assert (rule.max_duration_hours, rule.min_justification_length) == (24, 20)


def test_forbid_rules_cannot_carry_permit_fields_and_values_are_checked(
    rules_only: Callable[[dict[str, str]], Path],
) -> None:
    text = PERMIT.format(id="odd", category="school").replace(
        'effect = "permit"', 'effect = "forbid"'
    )
    text += "conditions = { min_age = 18, max_age = 4, wears_hat = true }\n"
    text += 'valid_from = 2026-01-01\nvalid_until = 2025-01-01\nregions = ["Utrecht Stad"]\n'
    problems = _problems(rules_only({"a.toml": text}))
    joined = "\n".join(problems)
    assert "'legal_basis' is not allowed on a forbid rule" in joined
    assert "unknown key 'wears_hat'" in joined
    assert "'min_age' must not be above 'max_age'" in joined
    assert "'valid_until' must come after 'valid_from'" in joined
    assert "'regions' must be a list of region ids" in joined


def test_no_policy_files_is_an_error(rules_only: Callable[[dict[str, str]], Path]) -> None:
    problems = _problems(rules_only({}))
    assert len(problems) == 1
    assert "no policy files" in problems[0]


def test_vocabulary_problems_are_all_reported(config_copy: Path) -> None:
    categories = config_copy / "categories.toml"
    categories.write_text(
        categories.read_text(encoding="utf-8")
        + '\n[categories.secret]\nsensitivity = "secret"\nnl = "Geheim"\nen = ""\nextra = 1\n',
        encoding="utf-8",
    )
    (config_copy / "purposes.toml").unlink()
    with pytest.raises(PolicyLoadError) as caught:
        load_vocabulary(config_copy)
    joined = "\n".join(caught.value.problems)
    assert "purposes.toml: file not found" in joined
    assert "categories.toml: category 'secret': sensitivity 'secret' is not one of" in joined
    assert "categories.toml: category 'secret': unknown key 'extra'" in joined
    assert "categories.toml: category 'secret': 'en' must be a non-empty string" in joined


def test_version_is_stable_under_file_names_order_and_formatting(
    config_copy: Path, default_set: PolicySet
) -> None:
    policies = config_copy / "policies"
    texts = [p.read_text(encoding="utf-8") for p in sorted(policies.glob("*.toml"))]
    shutil.rmtree(policies)
    policies.mkdir()
    # everything in one file, in reverse order, with extra blank lines and comments
    merged = "\n\n# reformatted\n\n".join(reversed(texts)).replace(" = ", "   =   ")
    (policies / "all.toml").write_text(merged, encoding="utf-8")
    reloaded = load_policy_set(config_copy)
    assert reloaded.version == default_set.version
    assert reloaded.rules == default_set.rules


def test_version_changes_when_a_description_changes(
    config_copy: Path, default_set: PolicySet
) -> None:
    path = config_copy / "policies" / "monitoring.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Organisaties mogen", "Organisaties kunnen"),
        encoding="utf-8",
    )
    assert load_policy_set(config_copy).version != default_set.version
