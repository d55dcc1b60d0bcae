"""The Cedar export and the AVG art. 30 register generated from the rules."""

from __future__ import annotations

import json
from dataclasses import replace

import cedarpy

from policies import PolicySet, export_cedar, render_register


def test_cedar_export_parses_validates_and_keeps_rule_ids(default_set: PolicySet) -> None:
    export = export_cedar(default_set)
    assert cedarpy.validate_policies(export.policies, export.schema).validation_passed
    as_json = json.loads(cedarpy.policies_to_json_str(export.policies))
    assert len(as_json["staticPolicies"]) == len(default_set.rules) + 2  # plus the built-ins
    for rule in default_set.rules:
        assert f'@id("{rule.id}")' in export.policies
    assert default_set.version in export.policies
    assert "forbid (\n  principal,\n  action in" in export.policies
    entity_ids = {(e["uid"]["type"], e["uid"]["id"]) for e in export.entities}
    assert ("Data", "veilig_thuis/reporter_identity") in entity_ids
    assert ("Requester", "household") in entity_ids


def test_cedar_strings_are_escaped(default_set: PolicySet) -> None:
    rule = replace(default_set.rules[0], description_nl='Zeg "nee"\\ en\nklaar')
    policy_set = PolicySet.build(default_set.vocabulary, [rule, *default_set.rules[1:]])
    export = export_cedar(policy_set)
    assert cedarpy.validate_policies(export.policies, export.schema).validation_passed
    assert '@description("Zeg \\"nee\\"\\\\ en\\nklaar")' in export.policies


def test_register_lists_each_purpose_with_rules_bases_and_special_data(
    default_set: PolicySet,
) -> None:
    text = render_register(default_set)
    assert text.startswith("# Register van verwerkingsactiviteiten (AVG art. 30)")
    for purpose in default_set.vocabulary.purposes:
        assert f"(`{purpose}`)" in text
    for rule in default_set.rules:
        assert f"`{rule.id}`" in text
    assert "Jeugdwet art. 7.4.0 lid 1" in text
    assert "noodtoegang: max. 24 uur" in text
    assert "alleen getelde totalen" in text
    assert "- Bijzondere persoonsgegevens (AVG art. 9): `health`" in text
    assert "## Nooit toegestane verstrekkingen" in text
    english = render_register(default_set, "en")
    assert english.startswith("# Register of processing activities (GDPR art. 30)")
    assert "emergency access: max. 24 hours" in english
