"""Checks of a rule set as a whole, which no single rule can show on its own.

Duplicate rule ids across files; permit rules that can never fire (every request
they cover is forbidden by a forbid rule at least as general: forbid overrides
permit); permit rules that contradict each other (same requests, same conditions,
different legal ground). Run after parsing (`policies._parse`), before a set is built.
"""

from __future__ import annotations

from collections.abc import Sequence

from policies.engine import expand_rule
from policies.model import Rule
from policies.vocabulary import Vocabulary

__all__ = ["validate_rules"]


def _covers(forbid: Rule, permit: Rule) -> bool:
    """Does `forbid` apply whenever `permit` does (for a key both cover)?"""
    f, p = forbid, permit
    if f.requester_roles and not (p.requester_roles and p.requester_roles <= f.requester_roles):
        return False
    if f.regions and not (p.regions and p.regions <= f.regions):
        return False
    if f.valid_from is not None and (p.valid_from is None or p.valid_from < f.valid_from):
        return False
    if f.valid_until is not None and (p.valid_until is None or p.valid_until > f.valid_until):
        return False
    fc, pc = f.conditions, p.conditions
    if fc.min_age is not None and (pc.min_age is None or pc.min_age < fc.min_age):
        return False
    if fc.max_age is not None and (pc.max_age is None or pc.max_age > fc.max_age):
        return False
    if fc.requester_is_regiehouder and not pc.requester_is_regiehouder:
        return False
    if fc.case_reference_required and not pc.case_reference_required:
        return False
    f_just = f.min_justification_length or 0
    return not f_just or (p.min_justification_length or 0) >= f_just


def _same_applicability(a: Rule, b: Rule) -> bool:
    return (
        a.requester_roles == b.requester_roles
        and a.regions == b.regions
        and (a.valid_from, a.valid_until) == (b.valid_from, b.valid_until)
        and a.conditions == b.conditions
        and a.min_justification_length == b.min_justification_length
    )


def validate_rules(rules: Sequence[Rule], vocabulary: Vocabulary) -> list[str]:
    """Problems of the rule set as a whole: duplicate ids, permits that can never fire,
    contradictory permits. Empty when the set is consistent."""
    problems: list[str] = []
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            problems.append(
                f"{rule.source_file}: rule '{rule.id}': duplicate rule id "
                f"(also in {seen[rule.id].source_file})"
            )
        else:
            seen[rule.id] = rule
    keys = {rule.id: set(expand_rule(rule, vocabulary)) for rule in seen.values()}
    forbids = [r for r in seen.values() if r.effect == "forbid"]
    permits = sorted((r for r in seen.values() if r.effect == "permit"), key=lambda r: r.id)
    for permit in permits:
        if not keys[permit.id]:
            problems.append(
                f"{permit.source_file}: rule '{permit.id}': covers no request "
                "(a wildcard category never includes special, criminal or "
                "restricted categories: name them)"
            )
            continue
        blockers: set[str] = set()
        uncovered = False
        for key in keys[permit.id]:
            hits = [f.id for f in forbids if key in keys[f.id] and _covers(f, permit)]
            if not hits:
                uncovered = True
                break
            blockers.update(hits)
        if not uncovered:
            problems.append(
                f"{permit.source_file}: rule '{permit.id}': can never fire: every "
                f"request it permits is forbidden by {', '.join(sorted(blockers))}"
            )
    for i, first in enumerate(permits):
        for second in permits[i + 1 :]:
            if (
                _same_applicability(first, second)
                and keys[first.id] & keys[second.id]
                and (
                    first.legal_basis,
                    first.statutory_reference,
                    first.consent_required,
                    first.consent_from,
                )
                != (
                    second.legal_basis,
                    second.statutory_reference,
                    second.consent_required,
                    second.consent_from,
                )
            ):
                problems.append(
                    f"{second.source_file}: rule '{second.id}': contradicts rule '{first.id}' "
                    f"({first.source_file}): both permit the same requests under the same "
                    "conditions on a different legal ground"
                )
    return problems
