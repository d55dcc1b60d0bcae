"""Export of a `PolicySet` as Cedar policies, a Cedar schema and the entity store.

The mapping, so that Cedar gives the same effect as `PolicyEngine` on every request:

- principal `Requester::"<requester type>"` (attribute `channel`);
- action `Action::"<purpose>"`;
- resource `Data::"<source type>/<category>"`, a member of `Category::"<category>"`
  (itself a member of `Sensitivity::"<sensitivity>"`) and of `SourceType::"<type>"`;
  a wildcard category becomes `resource in Sensitivity::"normal"`;
- every other condition reads the request context: `channel`, `role` ("" if none),
  `region`, `has_age`/`age`, `is_regiehouder`, `has_case_reference`, `about_self`,
  `justification_length` and `now` (epoch seconds);
- two built-in forbid policies carry the engine's fixed semantics: the request's
  channel must be the requester type's channel, and a `restricted` category never
  goes to the household portal about another person.

Cedar's own semantics match the engine's: deny by default, forbid overrides permit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from policies.model import WILDCARD, DecisionContext, DecisionRequest, PolicySet, Rule
from policies.vocabulary import SENSITIVITIES, Vocabulary

__all__ = ["CONTEXT_SHAPE", "CedarExport", "cedar_request", "export_cedar"]

#: The request context every policy may read, with its Cedar type.
CONTEXT_SHAPE: Final[dict[str, str]] = {
    "channel": "String",
    "role": "String",
    "region": "String",
    "has_age": "Bool",
    "age": "Long",
    "is_regiehouder": "Bool",
    "has_case_reference": "Bool",
    "about_self": "Bool",
    "justification_length": "Long",
    "now": "Long",
}


@dataclass(frozen=True, slots=True)
class CedarExport:
    policies: str
    schema: str
    entities: list[dict[str, Any]]


def _quote(text: str) -> str:
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{{{ord(char):x}}}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _uid(kind: str, ident: str) -> str:
    return f"{kind}::{_quote(ident)}"


def _uids(kind: str, idents: Iterable[str]) -> str:
    return "[" + ", ".join(_uid(kind, i) for i in sorted(idents)) + "]"


def _strings(values: Iterable[str]) -> str:
    return "[" + ", ".join(_quote(v) for v in sorted(values)) + "]"


def _policy(rule: Rule, vocabulary: Vocabulary) -> str:
    organisations = sorted(vocabulary.organisation_types)
    requesters = {
        o for t in rule.requester_types for o in (organisations if t == WILDCARD else [t])
    }
    conditions = [f"principal in {_uids('Requester', requesters)}"]
    if WILDCARD not in rule.source_types:
        conditions.append(f"resource in {_uids('SourceType', rule.source_types)}")
    named = sorted(rule.categories - {WILDCARD})
    alternatives = []
    if WILDCARD in rule.categories:
        alternatives.append(f"resource in {_uid('Sensitivity', 'normal')}")
    if named:
        alternatives.append(f"resource in {_uids('Category', named)}")
    conditions.append(
        alternatives[0] if len(alternatives) == 1 else "(" + " || ".join(alternatives) + ")"
    )
    if rule.requester_roles:
        conditions.append(f"{_strings(rule.requester_roles)}.contains(context.role)")
    if rule.regions:
        conditions.append(f"{_strings(rule.regions)}.contains(context.region)")
    if rule.valid_from is not None:
        conditions.append(f"context.now >= {rule.valid_from}")
    if rule.valid_until is not None:
        conditions.append(f"context.now < {rule.valid_until}")
    c = rule.conditions
    if c.min_age is not None:
        conditions.append(f"(context.has_age && context.age >= {c.min_age})")
    if c.max_age is not None:
        conditions.append(f"(context.has_age && context.age <= {c.max_age})")
    if c.requester_is_regiehouder:
        conditions.append("context.is_regiehouder")
    if c.case_reference_required:
        conditions.append("context.has_case_reference")
    if rule.min_justification_length:
        conditions.append(f"context.justification_length >= {rule.min_justification_length}")
    annotations = [
        f"@id({_quote(rule.id)})",
        f"@description({_quote(rule.description_nl)})",
        f"@description_en({_quote(rule.description_en)})",
    ]
    if rule.legal_basis:
        annotations.append(f"@legal_basis({_quote(rule.legal_basis)})")
    if rule.statutory_reference:
        annotations.append(f"@statutory_reference({_quote(rule.statutory_reference)})")
    if rule.consent_required:
        annotations.append(f"@consent_from({_quote(rule.consent_from or 'subject')})")
    actions = _uids("Action", rule.purposes)
    body = " &&\n  ".join(conditions)
    return (
        "\n".join(annotations)
        + f"\n{rule.effect} (\n  principal,\n  action in {actions},\n  resource\n)\n"
        + f"when {{\n  {body}\n}};"
    )


_BUILTINS: Final = """\
@id("builtin-channel")
@description("Een aanvrager gebruikt altijd het kanaal van zijn soort.")
forbid (principal, action, resource)
when { principal.channel != context.channel };

@id("builtin-restricted-to-self")
@description("Afgeschermde gegevens gaan via het portaal alleen naar de persoon zelf.")
forbid (principal, action, resource in Sensitivity::"restricted")
when { context.channel == "household_portal" && !context.about_self };"""


def _schema(vocabulary: Vocabulary) -> str:
    context = ",\n  ".join(f"{name}: {kind}" for name, kind in CONTEXT_SHAPE.items())
    actions = ", ".join(_quote(p) for p in sorted(vocabulary.purposes))
    return (
        "// Generated from the gateway's policy vocabulary: do not edit.\n"
        "entity Sensitivity;\n"
        "entity Category in [Sensitivity];\n"
        "entity SourceType;\n"
        "entity Data in [Category, SourceType] { source_type: String, category: String };\n"
        "entity Requester { channel: String };\n"
        f"type RequestContext = {{\n  {context}\n}};\n"
        f"action {actions} appliesTo {{\n"
        "  principal: [Requester],\n  resource: [Data],\n  context: RequestContext\n};\n"
    )


def _entities(vocabulary: Vocabulary) -> list[dict[str, Any]]:
    entities: list[dict[str, Any]] = [
        {"uid": {"type": "Sensitivity", "id": s}, "attrs": {}, "parents": []} for s in SENSITIVITIES
    ]
    for category in sorted(vocabulary.categories.values(), key=lambda c: c.id):
        entities.append(
            {
                "uid": {"type": "Category", "id": category.id},
                "attrs": {},
                "parents": [{"type": "Sensitivity", "id": category.sensitivity}],
            }
        )
    for kind in sorted(vocabulary.requester_types.values(), key=lambda k: k.id):
        entities.append(
            {
                "uid": {"type": "Requester", "id": kind.id},
                "attrs": {"channel": kind.channel},
                "parents": [],
            }
        )
    for source in sorted(vocabulary.organisation_types):
        entities.append({"uid": {"type": "SourceType", "id": source}, "attrs": {}, "parents": []})
        for category_id in sorted(vocabulary.categories):
            entities.append(
                {
                    "uid": {"type": "Data", "id": f"{source}/{category_id}"},
                    "attrs": {"source_type": source, "category": category_id},
                    "parents": [
                        {"type": "Category", "id": category_id},
                        {"type": "SourceType", "id": source},
                    ],
                }
            )
    return entities


def export_cedar(policy_set: PolicySet) -> CedarExport:
    """The policy set as Cedar policy text, Cedar schema text and entity list."""
    vocabulary = policy_set.vocabulary
    header = (
        f"// Generated from policy set {policy_set.version}: do not edit.\n"
        "// Deny by default; a forbid overrides any permit.\n\n"
    )
    policies = "\n\n".join(_policy(rule, vocabulary) for rule in policy_set.rules)
    text = header + _BUILTINS + ("\n\n" + policies if policies else "") + "\n"
    return CedarExport(policies=text, schema=_schema(vocabulary), entities=_entities(vocabulary))


def cedar_request(
    request: DecisionRequest | DecisionContext,
    source_type: str | None = None,
    category: str | None = None,
) -> dict[str, Any]:
    """The Cedar authorization request equivalent to an engine request."""
    if isinstance(request, DecisionRequest):
        source_type, category = request.source_type, request.category
    return {
        "principal": {"type": "Requester", "id": request.requester_type},
        "action": {"type": "Action", "id": request.purpose},
        "resource": {"type": "Data", "id": f"{source_type}/{category}"},
        "context": {
            "channel": request.channel,
            "role": request.requester_role or "",
            "region": request.requester_region,
            "has_age": request.subject_age is not None,
            "age": request.subject_age if request.subject_age is not None else 0,
            "is_regiehouder": request.requester_is_regiehouder,
            "has_case_reference": request.has_case_reference,
            "about_self": request.about_self,
            "justification_length": request.justification_length,
            "now": math.floor(request.at.timestamp()),
        },
    }
