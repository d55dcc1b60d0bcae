"""Loading and strict validation of `config/policies/*.toml`.

A policy file holds `[[rules]]` tables (see docs/policies.md for every key). Loading
never yields half a policy set: every problem in every file is collected, and if
there is any, `PolicyLoadError` lists them all, each naming the file and rule id.
Besides shape and vocabulary checks, the set as a whole is checked for permit rules
that can never fire (every request they cover is forbidden by a forbid rule at least
as general) and for permit rules that contradict each other (same requests, same
conditions, different legal ground).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from policies._toml import check_keys, read_toml
from policies.engine import expand_rule
from policies.errors import PolicyLoadError
from policies.model import (
    CONSENT_PARTIES,
    WILDCARD,
    Conditions,
    PolicySet,
    Rule,
    RuleEffect,
)
from policies.vocabulary import CONSENT_BASIS, Vocabulary, load_vocabulary

__all__ = ["POLICY_DIR", "load_policy_set", "parse_rules", "validate_rules"]

POLICY_DIR: Final = "policies"
RULE_ID: Final = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
REGION_ID: Final = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_AMSTERDAM: Final = ZoneInfo("Europe/Amsterdam")
_MAX_AGE: Final = 130

_RULE_KEYS: Final = (
    "id",
    "effect",
    "description",
    "requester_types",
    "requester_roles",
    "purposes",
    "source_types",
    "categories",
    "legal_basis",
    "statutory_reference",
    "consent_required",
    "consent_from",
    "regions",
    "valid_from",
    "valid_until",
    "conditions",
    "confidential",
    "break_glass",
)
_REQUIRED: Final = (
    "id",
    "effect",
    "description",
    "requester_types",
    "purposes",
    "source_types",
    "categories",
)
_PERMIT_ONLY: Final = (
    "legal_basis",
    "consent_required",
    "consent_from",
    "confidential",
    "break_glass",
)
_CONDITION_KEYS: Final = (
    "min_age",
    "max_age",
    "requester_is_regiehouder",
    "case_reference_required",
)
_BREAK_GLASS_KEYS: Final = ("max_duration_hours", "min_justification_length")
_SINGULAR: Final = {
    "requester_types": "requester type",
    "requester_roles": "role",
    "purposes": "purpose",
    "source_types": "source type",
    "categories": "category",
}


@dataclass
class _Ctx:
    where: str
    problems: list[str]

    def add(self, message: str) -> None:
        self.problems.append(f"{self.where}: {message}")


def _names(
    table: Mapping[str, Any],
    key: str,
    known: Sequence[str],
    ctx: _Ctx,
    *,
    wildcard: bool,
    required: bool = True,
) -> frozenset[str]:
    value = table.get(key, [] if not required else None)
    if value is None:
        return frozenset()  # missing: reported by check_keys
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        ctx.add(f"'{key}' must be a list of strings")
        return frozenset()
    if required and not value:
        ctx.add(f"'{key}' must not be empty")
    allowed = set(known) | ({WILDCARD} if wildcard else set())
    for name in value:
        if name not in allowed:
            extra = " or '*'" if wildcard else ""
            ctx.add(f"unknown {_SINGULAR[key]} '{name}' (known: {', '.join(sorted(known))}{extra})")
    return frozenset(value)


def _bool(table: Mapping[str, Any], key: str, default: bool, ctx: _Ctx) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        ctx.add(f"'{key}' must be true or false")
        return default
    return value


def _int(table: Mapping[str, Any], key: str, low: int, high: int, ctx: _Ctx) -> int | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        ctx.add(f"'{key}' must be a whole number from {low} to {high}")
        return None
    return value


def _instant(value: object, key: str, ctx: _Ctx, *, end_of_day: bool) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            ctx.add(f"'{key}' must be a date or a date-time with a UTC offset")
            return None
        return int(value.timestamp())
    if isinstance(value, date):
        day = value + timedelta(days=1) if end_of_day else value
        return int(datetime(day.year, day.month, day.day, tzinfo=_AMSTERDAM).timestamp())
    ctx.add(f"'{key}' must be a date (YYYY-MM-DD)")
    return None


def _parse_rule(
    table: Any, display: str, index: int, vocabulary: Vocabulary, problems: list[str]
) -> Rule | None:
    if not isinstance(table, dict):
        problems.append(f"{display}: rules[{index}] must be a table")
        return None
    raw_id = table.get("id")
    if isinstance(raw_id, str) and RULE_ID.match(raw_id):
        rule_id = raw_id
        ctx = _Ctx(f"{display}: rule '{rule_id}'", problems)
    else:
        rule_id = f"rules[{index}]"
        ctx = _Ctx(f"{display}: {rule_id}", problems)
        if raw_id is not None:
            ctx.add(f"rule id {raw_id!r} must match {RULE_ID.pattern}")
    start = len(problems)
    check_keys(table, allowed=_RULE_KEYS, required=_REQUIRED, where=ctx.where, problems=problems)

    raw_effect = table.get("effect")
    effect: RuleEffect = "permit" if raw_effect == "permit" else "forbid"
    if raw_effect not in ("permit", "forbid") and "effect" in table:
        ctx.add(f"effect {raw_effect!r} must be 'permit' or 'forbid'")
    description = table.get("description", {})
    nl = en = ""
    if not isinstance(description, dict):
        ctx.add("'description' must be a table with 'nl' and 'en'")
    else:
        check_keys(
            description,
            allowed=("nl", "en"),
            required=("nl", "en"),
            where=f"{ctx.where}: description",
            problems=problems,
        )
        nl_raw, en_raw = description.get("nl"), description.get("en")
        if "nl" in description and not (isinstance(nl_raw, str) and nl_raw.strip()):
            ctx.add("description 'nl' must be a non-empty string")
        if "en" in description and not (isinstance(en_raw, str) and en_raw.strip()):
            ctx.add("description 'en' must be a non-empty string")
        nl = nl_raw.strip() if isinstance(nl_raw, str) else ""
        en = en_raw.strip() if isinstance(en_raw, str) else ""

    requesters = vocabulary.requester_types
    requester_types = _names(table, "requester_types", sorted(requesters), ctx, wildcard=True)
    purposes = _names(table, "purposes", sorted(vocabulary.purposes), ctx, wildcard=False)
    source_types = _names(
        table, "source_types", sorted(vocabulary.organisation_types), ctx, wildcard=True
    )
    categories = _names(table, "categories", sorted(vocabulary.categories), ctx, wildcard=True)
    named = (
        vocabulary.organisation_types.values()
        if WILDCARD in requester_types
        else [requesters[t] for t in requester_types if t in requesters]
    )
    known_roles = sorted({role for kind in named for role in kind.roles})
    roles = _names(table, "requester_roles", known_roles, ctx, wildcard=False, required=False)

    for key in _PERMIT_ONLY if effect == "forbid" else ():
        if key in table:
            ctx.add(f"'{key}' is not allowed on a forbid rule")
    legal_basis = table.get("legal_basis")
    reference = table.get("statutory_reference")
    if reference is not None and not (isinstance(reference, str) and reference.strip()):
        ctx.add("'statutory_reference' must be a non-empty string")
        reference = None
    reference = reference.strip() if isinstance(reference, str) else None
    consent_required = _bool(table, "consent_required", legal_basis == CONSENT_BASIS, ctx)
    consent_from = table.get("consent_from")
    if effect == "permit":
        if legal_basis is None:
            ctx.add("a permit rule needs a 'legal_basis'")
        elif legal_basis not in vocabulary.legal_bases:
            ctx.add(
                f"unknown legal basis {legal_basis!r} "
                f"(known: {', '.join(sorted(vocabulary.legal_bases))})"
            )
        elif legal_basis != CONSENT_BASIS and reference is None:
            ctx.add(
                f"legal basis '{legal_basis}' needs a 'statutory_reference' "
                "(the article of the law the rule relies on)"
            )
        if legal_basis == CONSENT_BASIS and not consent_required:
            ctx.add("legal basis 'consent' cannot have consent_required = false")
        if consent_from is not None and not consent_required:
            ctx.add("'consent_from' is only allowed when consent is required")
        if consent_from is not None and consent_from not in CONSENT_PARTIES:
            ctx.add(f"consent_from {consent_from!r} must be one of {', '.join(CONSENT_PARTIES)}")
        if consent_required and consent_from is None:
            consent_from = "subject"

    regions: frozenset[str] = frozenset()
    raw_regions = table.get("regions", [])
    if not isinstance(raw_regions, list) or not all(
        isinstance(r, str) and REGION_ID.match(r) for r in raw_regions
    ):
        ctx.add(f"'regions' must be a list of region ids matching {REGION_ID.pattern}")
    else:
        regions = frozenset(raw_regions)

    valid_from = _instant(table.get("valid_from"), "valid_from", ctx, end_of_day=False)
    valid_until = _instant(table.get("valid_until"), "valid_until", ctx, end_of_day=True)
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        ctx.add("'valid_until' must come after 'valid_from'")

    conditions = Conditions()
    raw_conditions = table.get("conditions", {})
    if not isinstance(raw_conditions, dict):
        ctx.add("'conditions' must be a table")
    else:
        check_keys(
            raw_conditions,
            allowed=_CONDITION_KEYS,
            where=f"{ctx.where}: conditions",
            problems=problems,
        )
        conditions = Conditions(
            min_age=_int(raw_conditions, "min_age", 0, _MAX_AGE, ctx),
            max_age=_int(raw_conditions, "max_age", 0, _MAX_AGE, ctx),
            requester_is_regiehouder=_bool(raw_conditions, "requester_is_regiehouder", False, ctx),
            case_reference_required=_bool(raw_conditions, "case_reference_required", False, ctx),
        )
        if (
            conditions.min_age is not None
            and conditions.max_age is not None
            and conditions.min_age > conditions.max_age
        ):
            ctx.add("conditions: 'min_age' must not be above 'max_age'")

    confidential = _bool(table, "confidential", False, ctx)
    break_glass_purposes = {
        p for p in purposes if p in vocabulary.purposes and vocabulary.purposes[p].break_glass
    }
    max_duration = min_justification = None
    if effect == "permit" and break_glass_purposes and break_glass_purposes != purposes:
        ctx.add("a break-the-glass purpose cannot share a rule with other purposes")
    raw_break_glass = table.get("break_glass")
    if raw_break_glass is not None and not isinstance(raw_break_glass, dict):
        ctx.add("'break_glass' must be a table")
    elif raw_break_glass is not None:
        check_keys(
            raw_break_glass,
            allowed=_BREAK_GLASS_KEYS,
            required=_BREAK_GLASS_KEYS,
            where=f"{ctx.where}: break_glass",
            problems=problems,
        )
        if not break_glass_purposes:
            ctx.add("'break_glass' is only allowed for break-the-glass purposes")
        max_duration = _int(raw_break_glass, "max_duration_hours", 1, 72, ctx)
        min_justification = _int(raw_break_glass, "min_justification_length", 1, 10_000, ctx)
    elif break_glass_purposes and effect == "permit":
        ctx.add(
            f"purpose {', '.join(sorted(break_glass_purposes))} is break-the-glass: the "
            "rule needs break_glass = { max_duration_hours, min_justification_length }"
        )

    if len(problems) > start:
        return None
    return Rule(
        id=rule_id,
        effect=effect,
        description_nl=nl,
        description_en=en,
        requester_types=requester_types,
        requester_roles=roles,
        purposes=purposes,
        source_types=source_types,
        categories=categories,
        legal_basis=legal_basis if effect == "permit" else None,
        statutory_reference=reference,
        consent_required=consent_required if effect == "permit" else False,
        consent_from=consent_from if effect == "permit" else None,
        regions=regions,
        valid_from=valid_from,
        valid_until=valid_until,
        conditions=conditions,
        confidential=confidential,
        max_duration_hours=max_duration,
        min_justification_length=min_justification,
        source_file=display,
    )


def parse_rules(
    path: Path, display: str, vocabulary: Vocabulary, problems: list[str]
) -> list[Rule]:
    """The valid rules of one file; problems with the others are added to `problems`."""
    document = read_toml(path, display, problems)
    if document is None:
        return []
    check_keys(document, allowed=("rules",), where=display, problems=problems)
    raw_rules = document.get("rules", [])
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append(f"{display}: defines no rules (expected one or more [[rules]] tables)")
        return []
    rules = []
    for index, table in enumerate(raw_rules):
        rule = _parse_rule(table, display, index, vocabulary, problems)
        if rule is not None:
            rules.append(rule)
    return rules


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


def load_policy_set(config_dir: Path, vocabulary: Vocabulary | None = None) -> PolicySet:
    """Read `config_dir/policies/*.toml` into a `PolicySet`, or raise `PolicyLoadError`
    listing every problem (nothing is loaded then)."""
    if vocabulary is None:
        vocabulary = load_vocabulary(config_dir)
    problems: list[str] = []
    directory = config_dir / POLICY_DIR
    files = sorted(directory.glob("*.toml")) if directory.is_dir() else []
    if not files:
        raise PolicyLoadError([f"{POLICY_DIR}/: no policy files (*.toml) found in {directory}"])
    rules: list[Rule] = []
    displays = []
    for path in files:
        display = f"{POLICY_DIR}/{path.name}"
        displays.append(display)
        rules += parse_rules(path, display, vocabulary, problems)
    problems += validate_rules(rules, vocabulary)
    if problems:
        raise PolicyLoadError(problems)
    return PolicySet.build(vocabulary, rules, displays)
