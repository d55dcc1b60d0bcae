"""Domain values of the policy engine: rules, policy sets, requests and decisions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from policies.vocabulary import Channel, Vocabulary

__all__ = [
    "CONSENT_PARTIES",
    "REASONS",
    "WILDCARD",
    "Conditions",
    "Decision",
    "DecisionContext",
    "DecisionRequest",
    "Effect",
    "PolicySet",
    "Reason",
    "Rule",
    "RuleEffect",
    "policy_version",
]

WILDCARD: Final = "*"
RuleEffect = Literal["permit", "forbid"]
Effect = Literal["permit", "deny"]

#: Whose consent a rule needs. `subject`: the person the data is about, represented
#: according to the consent module's age rules (under 12 the parents with custody,
#: 12-15 child and parents, from 16 the young person). `custody_holders`: the
#: parents with custody, whatever the child's age.
CONSENT_PARTIES: Final[tuple[str, ...]] = ("subject", "custody_holders")

Reason = Literal[
    "permitted",
    "no_matching_rule",
    "forbidden_by_rule",
    "restricted_to_self",
    "role_not_permitted",
    "outside_region",
    "rule_not_in_force",
    "condition_not_met",
    "case_reference_required",
    "justification_required",
    "consent_required",
]
#: Every reason code, stable once published. `consent_required` is produced by the
#: gateway's consent check (the engine itself only marks a permit as needing consent).
REASONS: Final[tuple[str, ...]] = (
    "permitted",
    "no_matching_rule",
    "forbidden_by_rule",
    "restricted_to_self",
    "role_not_permitted",
    "outside_region",
    "rule_not_in_force",
    "condition_not_met",
    "case_reference_required",
    "justification_required",
    "consent_required",
)


@dataclass(frozen=True, slots=True)
class Conditions:
    """Extra conditions on a rule; all given ones must hold (ages inclusive)."""

    min_age: int | None = None
    max_age: int | None = None
    requester_is_regiehouder: bool = False
    case_reference_required: bool = False

    @property
    def empty(self) -> bool:
        return self == Conditions()


@dataclass(frozen=True, slots=True)
class Rule:
    """One declarative rule. Empty `requester_roles`/`regions` mean "any".

    `requester_types`, `source_types` and `categories` may contain `"*"`; a wildcard
    requester means every organisation type (never a portal requester) and a wildcard
    category means every category of sensitivity `normal`. Validity bounds are
    epoch seconds: `valid_from` inclusive, `valid_until` exclusive.
    """

    id: str
    effect: RuleEffect
    description_nl: str
    description_en: str
    requester_types: frozenset[str]
    purposes: frozenset[str]
    source_types: frozenset[str]
    categories: frozenset[str]
    requester_roles: frozenset[str] = frozenset()
    legal_basis: str | None = None
    statutory_reference: str | None = None
    consent_required: bool = False
    consent_from: str | None = None
    regions: frozenset[str] = frozenset()
    valid_from: int | None = None
    valid_until: int | None = None
    conditions: Conditions = field(default_factory=Conditions)
    confidential: bool = False
    max_duration_hours: int | None = None
    min_justification_length: int | None = None
    source_file: str = field(default="", compare=False)

    def canonical(self) -> dict[str, Any]:
        """A JSON-ready form independent of set order and of the file it came from."""
        return {
            "id": self.id,
            "effect": self.effect,
            "description": [self.description_nl, self.description_en],
            "requester_types": sorted(self.requester_types),
            "requester_roles": sorted(self.requester_roles),
            "purposes": sorted(self.purposes),
            "source_types": sorted(self.source_types),
            "categories": sorted(self.categories),
            "legal_basis": self.legal_basis,
            "statutory_reference": self.statutory_reference,
            "consent_required": self.consent_required,
            "consent_from": self.consent_from,
            "regions": sorted(self.regions),
            "valid": [self.valid_from, self.valid_until],
            "conditions": [
                self.conditions.min_age,
                self.conditions.max_age,
                self.conditions.requester_is_regiehouder,
                self.conditions.case_reference_required,
            ],
            "confidential": self.confidential,
            "break_glass": [self.max_duration_hours, self.min_justification_length],
        }


def policy_version(vocabulary: Vocabulary, rules: Iterable[Rule]) -> str:
    """`sha256:<hex>` of the canonical JSON of vocabulary and rules (sorted by id)."""
    document = {
        "vocabulary": vocabulary.canonical(),
        "rules": [rule.canonical() for rule in sorted(rules, key=lambda r: r.id)],
    }
    encoded = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(encoded.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PolicySet:
    """A validated, immutable set of rules over one vocabulary. Rules are sorted by id."""

    vocabulary: Vocabulary
    rules: tuple[Rule, ...]
    version: str
    files: tuple[str, ...] = ()

    @classmethod
    def build(
        cls, vocabulary: Vocabulary, rules: Iterable[Rule], files: Iterable[str] = ()
    ) -> PolicySet:
        ordered = tuple(sorted(rules, key=lambda r: r.id))
        return cls(
            vocabulary=vocabulary,
            rules=ordered,
            version=policy_version(vocabulary, ordered),
            files=tuple(sorted(files)),
        )

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the moment of a decision request must be timezone-aware")


@dataclass(frozen=True, slots=True)
class DecisionContext:
    """Everything about one request except the (source type, category) item asked for.

    `at` must be timezone-aware. `channel` is `household_portal` when a household
    member asks through the portal; `about_self` then says whether the data is about
    that member. `justification_length` counts the characters of a break-the-glass
    justification (0 if none). `has_case_reference` is true only when the requester
    has an open registered case with the request's reference covering the subject
    (the gateway checks that; a reference merely sent does not count).
    """

    requester_type: str
    purpose: str
    at: datetime
    requester_role: str | None = None
    requester_region: str = ""
    subject_age: int | None = None
    requester_is_regiehouder: bool = False
    has_case_reference: bool = False
    channel: Channel = "organisation"
    about_self: bool = False
    justification_length: int = 0

    def __post_init__(self) -> None:
        _require_aware(self.at)

    def request(self, source_type: str, category: str) -> DecisionRequest:
        return DecisionRequest(
            requester_type=self.requester_type,
            purpose=self.purpose,
            source_type=source_type,
            category=category,
            at=self.at,
            requester_role=self.requester_role,
            requester_region=self.requester_region,
            subject_age=self.subject_age,
            requester_is_regiehouder=self.requester_is_regiehouder,
            has_case_reference=self.has_case_reference,
            channel=self.channel,
            about_self=self.about_self,
            justification_length=self.justification_length,
        )


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    """One question: may this requester have this category from this source type?"""

    requester_type: str
    purpose: str
    source_type: str
    category: str
    at: datetime
    requester_role: str | None = None
    requester_region: str = ""
    subject_age: int | None = None
    requester_is_regiehouder: bool = False
    has_case_reference: bool = False
    channel: Channel = "organisation"
    about_self: bool = False
    justification_length: int = 0

    def __post_init__(self) -> None:
        _require_aware(self.at)

    @property
    def context(self) -> DecisionContext:
        return DecisionContext(
            requester_type=self.requester_type,
            purpose=self.purpose,
            at=self.at,
            requester_role=self.requester_role,
            requester_region=self.requester_region,
            subject_age=self.subject_age,
            requester_is_regiehouder=self.requester_is_regiehouder,
            has_case_reference=self.has_case_reference,
            channel=self.channel,
            about_self=self.about_self,
            justification_length=self.justification_length,
        )


@dataclass(frozen=True, slots=True)
class Decision:
    """The engine's answer. A permit with `consent_required` means "permitted if a
    consent covers it": the gateway's consent check decides that part."""

    effect: Effect
    reason: Reason
    rule_ids: tuple[str, ...]
    legal_basis: str | None
    statutory_reference: str | None
    consent_required: bool
    consent_from: str | None
    confidential: bool
    break_glass: bool
    max_duration_hours: int | None
    aggregates_only: bool
    explanation_nl: str
    explanation_en: str
    policy_version: str

    @property
    def permitted(self) -> bool:
        return self.effect == "permit"
