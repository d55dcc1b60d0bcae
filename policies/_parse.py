"""Parsing of one policy file, and of each `[[rules]]` table in it, into `Rule`s.

Shape and vocabulary are checked rule by rule here (every problem collected, each
naming the file and rule id); checks across the whole set live in `policies.lint`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

from policies._fields import Ctx, boolean, instant, names, whole
from policies._toml import check_keys, read_toml, read_toml_text
from policies.model import CONSENT_PARTIES, WILDCARD, Conditions, Rule, RuleEffect
from policies.vocabulary import CONSENT_BASIS, Vocabulary

RULE_ID: Final = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
REGION_ID: Final = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
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


def _parse_rule(
    table: Any, display: str, index: int, vocabulary: Vocabulary, problems: list[str]
) -> Rule | None:
    """One `[[rules]]` table as a `Rule`, or None once its problems are in `problems`.

    Long because it reads a rule key by key in the order docs/policies.md gives them;
    the readers of single values are in `policies._fields`."""
    if not isinstance(table, dict):
        problems.append(f"{display}: rules[{index}] must be a table")
        return None
    raw_id = table.get("id")
    if isinstance(raw_id, str) and RULE_ID.match(raw_id):
        rule_id = raw_id
        ctx = Ctx(f"{display}: rule '{rule_id}'", problems)
    else:
        rule_id = f"rules[{index}]"
        ctx = Ctx(f"{display}: {rule_id}", problems)
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
    requester_types = names(table, "requester_types", sorted(requesters), ctx, wildcard=True)
    purposes = names(table, "purposes", sorted(vocabulary.purposes), ctx, wildcard=False)
    source_types = names(
        table, "source_types", sorted(vocabulary.organisation_types), ctx, wildcard=True
    )
    categories = names(table, "categories", sorted(vocabulary.categories), ctx, wildcard=True)
    named = (
        vocabulary.organisation_types.values()
        if WILDCARD in requester_types
        else [requesters[t] for t in requester_types if t in requesters]
    )
    known_roles = sorted({role for kind in named for role in kind.roles})
    roles = names(table, "requester_roles", known_roles, ctx, wildcard=False, required=False)

    for key in _PERMIT_ONLY if effect == "forbid" else ():
        if key in table:
            ctx.add(f"'{key}' is not allowed on a forbid rule")
    legal_basis = table.get("legal_basis")
    reference = table.get("statutory_reference")
    if reference is not None and not (isinstance(reference, str) and reference.strip()):
        ctx.add("'statutory_reference' must be a non-empty string")
        reference = None
    reference = reference.strip() if isinstance(reference, str) else None
    consent_required = boolean(table, "consent_required", legal_basis == CONSENT_BASIS, ctx)
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

    valid_from = instant(table.get("valid_from"), "valid_from", ctx, end_of_day=False)
    valid_until = instant(table.get("valid_until"), "valid_until", ctx, end_of_day=True)
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
            min_age=whole(raw_conditions, "min_age", 0, _MAX_AGE, ctx),
            max_age=whole(raw_conditions, "max_age", 0, _MAX_AGE, ctx),
            requester_is_regiehouder=boolean(
                raw_conditions, "requester_is_regiehouder", False, ctx
            ),
            case_reference_required=boolean(raw_conditions, "case_reference_required", False, ctx),
        )
        if (
            conditions.min_age is not None
            and conditions.max_age is not None
            and conditions.min_age > conditions.max_age
        ):
            ctx.add("conditions: 'min_age' must not be above 'max_age'")

    confidential = boolean(table, "confidential", False, ctx)
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
        max_duration = whole(raw_break_glass, "max_duration_hours", 1, 72, ctx)
        min_justification = whole(raw_break_glass, "min_justification_length", 1, 10_000, ctx)
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
    return rules_of(read_toml(path, display, problems), display, vocabulary, problems)


def parse_rules_text(
    text: str, display: str, vocabulary: Vocabulary, problems: list[str]
) -> list[Rule]:
    """`parse_rules` for a file's text handed in (a candidate set to simulate)."""
    return rules_of(read_toml_text(text, display, problems), display, vocabulary, problems)


def rules_of(
    document: dict[str, Any] | None, display: str, vocabulary: Vocabulary, problems: list[str]
) -> list[Rule]:
    """The valid rules of one parsed document (None: it did not parse)."""
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
