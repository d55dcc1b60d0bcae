"""The compiled decision engine.

At construction every rule is expanded over the vocabulary into an index keyed by
(channel, requester type, purpose, source type, category). One decision is then a
dictionary look-up plus the conditions of the few candidate rules under that key;
when none of them has conditions the decision itself is precomputed. Decisions are
immutable and memoised, so equal outcomes share one `Decision` object.

Semantics, in order:
1. nothing indexed under the key: deny, `no_matching_rule`;
2. a `restricted` category on the household portal about another person: deny,
   `restricted_to_self` (whatever the rules say);
3. any applicable forbid rule: deny, `forbidden_by_rule` (forbid overrides permit);
4. any applicable permit rule: permit;
5. otherwise deny with the reason of the permit rule that came closest
   (`role_not_permitted` < `outside_region` < `rule_not_in_force` <
   `condition_not_met` < `case_reference_required` < `justification_required`), or
   `no_matching_rule`. `case_reference_required` means everything else held but the
   requester has no open case with the request's reference covering the subject.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final, TypeAlias

from policies.explain import deny_texts, forbid_texts, permit_texts
from policies.model import (
    WILDCARD,
    Decision,
    DecisionContext,
    DecisionRequest,
    PolicySet,
    Reason,
    Rule,
)
from policies.vocabulary import Vocabulary

__all__ = ["PolicyEngine", "expand_rule"]

_STAGE_REASONS: Final[dict[int, Reason]] = {
    1: "role_not_permitted",
    2: "outside_region",
    3: "rule_not_in_force",
    4: "condition_not_met",
    5: "case_reference_required",
    6: "justification_required",
}

_Key: TypeAlias = tuple[str, str, str, str, str]


def expand_rule(rule: Rule, vocabulary: Vocabulary) -> Iterable[_Key]:
    """Every concrete index key a rule covers (wildcards expanded per the semantics)."""
    requesters = vocabulary.requester_types
    organisations = sorted(vocabulary.organisation_types)
    requester_ids = sorted(
        {r for t in rule.requester_types for r in (organisations if t == WILDCARD else [t])}
    )
    source_ids = sorted(
        {s for t in rule.source_types for s in (organisations if t == WILDCARD else [t])}
    )
    normal = sorted(c.id for c in vocabulary.categories.values() if c.sensitivity == "normal")
    category_ids = sorted({c for t in rule.categories for c in (normal if t == WILDCARD else [t])})
    for requester in requester_ids:
        kind = requesters.get(requester)
        if kind is None:
            continue
        for purpose in sorted(rule.purposes):
            for source in source_ids:
                for category in category_ids:
                    yield (kind.channel, requester, purpose, source, category)


class _Compiled:
    __slots__ = (
        "conditional",
        "max_age",
        "min_age",
        "min_justification",
        "need_case_ref",
        "need_regiehouder",
        "number",
        "regions",
        "roles",
        "rule",
        "timed",
        "unconditional",
        "valid_from",
        "valid_until",
    )

    def __init__(self, number: int, rule: Rule) -> None:
        self.number = number
        self.rule = rule
        self.roles = rule.requester_roles or None
        self.regions = rule.regions or None
        self.valid_from = rule.valid_from
        self.valid_until = rule.valid_until
        self.timed = rule.valid_from is not None or rule.valid_until is not None
        c = rule.conditions
        self.min_age = c.min_age
        self.max_age = c.max_age
        self.need_regiehouder = c.requester_is_regiehouder
        self.need_case_ref = c.case_reference_required
        self.conditional = not c.empty
        self.min_justification = rule.min_justification_length or 0
        self.unconditional = not (
            self.roles or self.regions or self.timed or self.conditional or self.min_justification
        )

    def failure(self, ctx: DecisionContext | DecisionRequest, ts: float) -> int:
        """0 if the rule applies to `ctx`, else the stage (1-6) at which it fails."""
        if self.roles is not None and ctx.requester_role not in self.roles:
            return 1
        if self.regions is not None and ctx.requester_region not in self.regions:
            return 2
        if self.timed:
            if self.valid_from is not None and ts < self.valid_from:
                return 3
            if self.valid_until is not None and ts >= self.valid_until:
                return 3
        if self.conditional:
            age = ctx.subject_age
            if self.min_age is not None and (age is None or age < self.min_age):
                return 4
            if self.max_age is not None and (age is None or age > self.max_age):
                return 4
            if self.need_regiehouder and not ctx.requester_is_regiehouder:
                return 4
            if self.need_case_ref and not ctx.has_case_reference:
                return 5
        if self.min_justification and ctx.justification_length < self.min_justification:
            return 6
        return 0


class _Entry:
    __slots__ = ("fixed", "forbids", "permits", "purpose", "restricted", "single", "timed")

    def __init__(
        self,
        purpose: str,
        forbids: tuple[_Compiled, ...],
        permits: tuple[_Compiled, ...],
        restricted: bool,
    ) -> None:
        self.purpose = purpose
        self.forbids = forbids
        self.permits = permits
        self.restricted = restricted
        self.timed = any(c.timed for c in forbids + permits)
        self.fixed: Decision | None = None
        # With one permit rule: the decision per failure stage (index 0 = permitted).
        self.single: tuple[Decision, ...] | None = None


class PolicyEngine:
    """Answers "may this requester have this category from this source, for this
    purpose, now?" for one immutable `PolicySet`. Deterministic; safe to share."""

    def __init__(self, policy_set: PolicySet) -> None:
        self.policy_set = policy_set
        self.vocabulary = policy_set.vocabulary
        self.version = policy_set.version
        self._permit_cache: dict[tuple[str, tuple[int, ...]], Decision] = {}
        self._deny_cache: dict[tuple[str, tuple[int, ...]], Decision] = {}
        self._no_match = self._deny("no_matching_rule", ())
        self._restricted = self._deny("restricted_to_self", ())
        compiled = [_Compiled(n, rule) for n, rule in enumerate(policy_set.rules)]
        buckets: dict[_Key, list[_Compiled]] = {}
        for item in compiled:
            for key in expand_rule(item.rule, self.vocabulary):
                buckets.setdefault(key, []).append(item)
        categories = self.vocabulary.categories
        self._index: dict[_Key, _Entry] = {}
        for key, items in buckets.items():
            channel, _, purpose, _, category = key
            known = categories.get(category)
            entry = _Entry(
                purpose=purpose,
                forbids=tuple(c for c in items if c.rule.effect == "forbid"),
                permits=tuple(c for c in items if c.rule.effect == "permit"),
                restricted=channel == "household_portal"
                and known is not None
                and known.sensitivity == "restricted",
            )
            if all(c.unconditional for c in items):
                entry.fixed = (
                    self._forbid(entry.forbids)
                    if entry.forbids
                    else self._permit(purpose, entry.permits)
                )
            elif len(entry.permits) == 1:
                only = entry.permits
                entry.single = (
                    self._permit(purpose, only),
                    *(self._deny(_STAGE_REASONS[stage], only) for stage in range(1, 7)),
                )
            self._index[key] = entry

    # -- public API -------------------------------------------------------------------

    def decide(self, request: DecisionRequest) -> Decision:
        """The decision for one (source type, category) item."""
        return self._decide(request, request.source_type, request.category)

    def decide_all(
        self, context: DecisionContext, items: Sequence[tuple[str, str]]
    ) -> list[Decision]:
        """Decisions for a whole exchange: one per (source type, category), in order."""
        decide = self._decide
        return [decide(context, source, category) for source, category in items]

    def candidate_rules(self, request: DecisionRequest) -> tuple[Rule, ...]:
        """The rules indexed under the request's key (for explanations and tooling)."""
        entry = self._index.get(self._key(request, request.source_type, request.category))
        if entry is None:
            return ()
        return tuple(c.rule for c in sorted(entry.forbids + entry.permits, key=lambda c: c.number))

    # -- evaluation -------------------------------------------------------------------

    @staticmethod
    def _key(ctx: DecisionContext | DecisionRequest, source: str, category: str) -> _Key:
        return (ctx.channel, ctx.requester_type, ctx.purpose, source, category)

    def _decide(
        self, ctx: DecisionContext | DecisionRequest, source: str, category: str
    ) -> Decision:
        entry = self._index.get((ctx.channel, ctx.requester_type, ctx.purpose, source, category))
        if entry is None:
            return self._no_match
        if entry.restricted and not ctx.about_self:
            return self._restricted
        if entry.fixed is not None:
            return entry.fixed
        ts = ctx.at.timestamp() if entry.timed else 0.0
        if entry.forbids:
            applicable_forbids = tuple(c for c in entry.forbids if not c.failure(ctx, ts))
            if applicable_forbids:
                return self._forbid(applicable_forbids)
        single = entry.single
        if single is not None:  # the common case: exactly one permit rule, precomputed
            return single[entry.permits[0].failure(ctx, ts)]
        best = 0
        closest: list[_Compiled] = []
        applicable: list[_Compiled] = []
        for candidate in entry.permits:
            stage = candidate.failure(ctx, ts)
            if stage == 0:
                applicable.append(candidate)
            elif stage > best:
                best, closest = stage, [candidate]
            elif stage == best:
                closest.append(candidate)
        if applicable:
            return self._permit(entry.purpose, tuple(applicable))
        if not closest:
            return self._no_match
        return self._deny(_STAGE_REASONS[best], tuple(closest))

    # -- decision construction (memoised) ---------------------------------------------

    def _permit(self, purpose_id: str, permits: tuple[_Compiled, ...]) -> Decision:
        key = (purpose_id, tuple(c.number for c in permits))
        cached = self._permit_cache.get(key)
        if cached is not None:
            return cached
        rules = sorted((c.rule for c in permits), key=lambda r: (r.consent_required, r.id))
        primary = rules[0]
        purpose = self.vocabulary.purposes[purpose_id]
        durations = [r.max_duration_hours for r in rules if r.max_duration_hours is not None]
        nl, en = permit_texts(rules, primary, purpose, self.vocabulary)
        decision = Decision(
            effect="permit",
            reason="permitted",
            rule_ids=tuple(r.id for r in rules),
            legal_basis=primary.legal_basis,
            statutory_reference=primary.statutory_reference,
            consent_required=primary.consent_required,
            consent_from=(primary.consent_from or "subject") if primary.consent_required else None,
            confidential=any(r.confidential for r in rules),
            break_glass=purpose.break_glass,
            max_duration_hours=min(durations) if purpose.break_glass and durations else None,
            aggregates_only=purpose.aggregates_only,
            explanation_nl=nl,
            explanation_en=en,
            policy_version=self.version,
        )
        return self._permit_cache.setdefault(key, decision)

    def _forbid(self, forbids: tuple[_Compiled, ...]) -> Decision:
        key = ("forbidden_by_rule", tuple(c.number for c in forbids))
        cached = self._deny_cache.get(key)
        if cached is not None:
            return cached
        rules = sorted((c.rule for c in forbids), key=lambda r: r.id)
        nl, en = forbid_texts(rules)
        return self._deny_cache.setdefault(key, self._denial("forbidden_by_rule", rules, nl, en))

    def _deny(self, reason: Reason, closest: tuple[_Compiled, ...]) -> Decision:
        key = (reason, tuple(c.number for c in closest))
        cached = self._deny_cache.get(key)
        if cached is not None:
            return cached
        rules = sorted((c.rule for c in closest), key=lambda r: r.id)
        nl, en = deny_texts(reason, rules)
        return self._deny_cache.setdefault(key, self._denial(reason, rules, nl, en))

    def _denial(self, reason: Reason, rules: Sequence[Rule], nl: str, en: str) -> Decision:
        return Decision(
            effect="deny",
            reason=reason,
            rule_ids=tuple(r.id for r in rules),
            legal_basis=None,
            statutory_reference=None,
            consent_required=False,
            consent_from=None,
            confidential=False,
            break_glass=False,
            max_duration_hours=None,
            aggregates_only=False,
            explanation_nl=nl,
            explanation_en=en,
            policy_version=self.version,
        )
