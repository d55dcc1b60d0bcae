"""What a candidate rule set would have decided: replaying recorded decisions.

A privacy officer hands in a candidate set (the files the loader reads, as text);
`load_candidate` checks it exactly as the loader checks `config/policies/` (every
problem listed, nothing half-loaded). `replay` then puts each recorded decision's
inputs through the real `PolicyEngine` of the candidate set and reports the ones
whose outcome would change, with the rules that made the difference.

Inputs the audit log does not hold are never guessed. A recorded exchange decision
names requester, role, purpose, source, category, time, break-the-glass and whether a
registered case was named, but not the subject's age nor whether the requester was
the household's regiehouder, and consent only where it was checked. Where the
candidate's rules for an item depend on such an input, the replay tries every value
that can matter (ages around each rule's bounds; regiehouder yes and no; consent
present and absent): if the outcome is the same for all, it is decided; otherwise the
item is `undetermined`, naming the inputs that were missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Final, Literal, NamedTuple

from policies._parse import parse_rules_text
from policies.engine import PolicyEngine
from policies.errors import PolicyLoadError
from policies.lint import validate_rules
from policies.model import Decision, DecisionRequest, PolicySet, Rule
from policies.vocabulary import Channel, Vocabulary

__all__ = [
    "MISSING_INPUTS",
    "Change",
    "RecordedDecision",
    "ReplayResult",
    "RuleDiff",
    "diff_rules",
    "load_candidate",
    "replay",
]

#: The inputs a replay may lack, by the name a result reports them under.
MISSING_INPUTS: Final = ("subject_age", "requester_is_regiehouder", "consent", "justification")

Outcome = Literal["permit", "deny"]


def load_candidate(
    texts: Mapping[str, str], vocabulary: Vocabulary, *, max_rules: int
) -> PolicySet:
    """The candidate set of `texts` (file name -> TOML text), checked like the loader
    checks `config/policies/`; raises `PolicyLoadError` listing every problem. More
    than `max_rules` rules is a problem too (stated, not truncated)."""
    problems: list[str] = []
    if not texts:
        raise PolicyLoadError(["policies/: no policy files given"])
    rules: list[Rule] = []
    displays = []
    for name in sorted(texts):
        display = f"policies/{name}"
        displays.append(display)
        rules += parse_rules_text(texts[name], display, vocabulary, problems)
    if len(rules) > max_rules:
        problems.append(f"policies/: {len(rules)} rules; at most {max_rules} may be simulated")
    else:
        problems += validate_rules(rules, vocabulary)
    if problems:
        raise PolicyLoadError(problems)
    return PolicySet.build(vocabulary, rules, displays)


class RecordedDecision(NamedTuple):
    """The inputs and outcome of one recorded decision (codes only, no personal data).

    `consent_present`: True when the recorded permit named consents, False when the
    recorded reason was `consent_required`, None when consent was not checked.
    `justification_length`: None when the log does not hold the justification.
    A named tuple, not a dataclass: a simulation makes 100k of them per request.
    """

    seq: int
    at: datetime
    requester_type: str
    purpose: str
    source_type: str
    category: str
    decision: Outcome
    reason: str
    rule_ids: tuple[str, ...]
    requester_role: str | None = None
    requester_region: str = ""
    has_case_reference: bool = False
    channel: Channel = "organisation"
    about_self: bool = False
    justification_length: int | None = 0
    consent_present: bool | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """One recorded decision the candidate decides otherwise."""

    recorded: RecordedDecision
    outcome: Outcome
    reason: str
    rule_ids: tuple[str, ...]  # the candidate's rules that decided it
    explanation_nl: str
    explanation_en: str

    @property
    def direction(self) -> str:
        return f"{self.recorded.decision}_to_{self.outcome}"


@dataclass(frozen=True, slots=True)
class ReplayResult:
    replayed: int
    changes: tuple[Change, ...]
    undetermined: tuple[tuple[RecordedDecision, tuple[str, ...]], ...]  # with missing inputs


@dataclass(frozen=True, slots=True)
class _Needs:
    ages: tuple[int | None, ...]
    regiehouder: bool
    justification: bool
    timed: bool  # a rule under this key has validity dates: the moment matters


@dataclass
class _Replayer:
    engine: PolicyEngine
    needs: dict[tuple[str, str, str, str, str], _Needs] = field(default_factory=dict)
    # Equal inputs give equal outcomes (the engine is deterministic): decide each once.
    memo: dict[tuple[object, ...], tuple[set[tuple[Outcome, Decision]], set[str]]] = field(
        default_factory=dict
    )

    def needs_of(self, request: DecisionRequest) -> _Needs:
        key = (
            request.channel,
            request.requester_type,
            request.purpose,
            request.source_type,
            request.category,
        )
        found = self.needs.get(key)
        if found is None:
            found = self.needs[key] = _needs(self.engine.candidate_rules(request))
        return found

    def outcomes(
        self, recorded: RecordedDecision
    ) -> tuple[set[tuple[Outcome, Decision]], set[str]]:
        """Every (outcome, decision) the candidate gives over the values of the inputs the
        log lacks, and which of those inputs mattered to the rules of this item."""
        index = (
            recorded.channel,
            recorded.requester_type,
            recorded.purpose,
            recorded.source_type,
            recorded.category,
        )
        key = (
            *index,
            recorded.requester_role,
            recorded.requester_region,
            recorded.has_case_reference,
            recorded.about_self,
            recorded.justification_length,
            recorded.consent_present,
        )
        needs = self.needs.get(index)
        if needs is not None and not needs.timed:
            found = self.memo.get(key)
            if found is not None:
                return found
        result = self._outcomes(recorded)
        if not self.needs[index].timed:
            self.memo[key] = result
        return result

    def _outcomes(
        self, recorded: RecordedDecision
    ) -> tuple[set[tuple[Outcome, Decision]], set[str]]:
        base = DecisionRequest(
            requester_type=recorded.requester_type,
            purpose=recorded.purpose,
            source_type=recorded.source_type,
            category=recorded.category,
            at=recorded.at,
            requester_role=recorded.requester_role,
            requester_region=recorded.requester_region,
            has_case_reference=recorded.has_case_reference,
            channel=recorded.channel,
            about_self=recorded.about_self,
            justification_length=recorded.justification_length or 0,
        )
        needs = self.needs_of(base)
        missing: set[str] = set()
        ages = needs.ages
        if len(ages) > 1:
            missing.add("subject_age")
        regie = (False, True) if needs.regiehouder else (False,)
        if needs.regiehouder:
            missing.add("requester_is_regiehouder")
        lengths: tuple[int, ...] = (base.justification_length,)
        if recorded.justification_length is None and needs.justification:
            lengths = (0, 10_000)
            missing.add("justification")
        found: set[tuple[Outcome, Decision]] = set()
        for age in ages:
            for is_regie in regie:
                for length in lengths:
                    request = replace(
                        base,
                        subject_age=age,
                        requester_is_regiehouder=is_regie,
                        justification_length=length,
                    )
                    decision = self.engine.decide(request)
                    for outcome in _after_consent(decision, recorded, missing):
                        found.add((outcome, decision))
        return found, missing


def _needs(rules: Iterable[Rule]) -> _Needs:
    bounds: set[int | None] = set()
    regiehouder = justification = timed = False
    for rule in rules:
        timed = timed or rule.valid_from is not None or rule.valid_until is not None
        c = rule.conditions
        for bound in (c.min_age, c.max_age):
            if bound is not None:
                bounds.update({bound - 1, bound, bound + 1})
        regiehouder = regiehouder or c.requester_is_regiehouder
        justification = justification or rule.min_justification_length is not None
    ages: tuple[int | None, ...] = (None,)
    if bounds:
        ages = (None, *sorted(b for b in bounds if b is not None and b >= 0))
    return _Needs(ages, regiehouder, justification, timed)


def _after_consent(
    decision: Decision, recorded: RecordedDecision, missing: set[str]
) -> list[Outcome]:
    """The outcome(s) once consent is applied as the pipeline applies it."""
    if not decision.permitted or not decision.consent_required:
        return [decision.effect]
    if recorded.channel == "household_portal":
        return ["deny"]  # the portal never has consent to offer (gateway.exchange.pipeline)
    if recorded.consent_present is None:
        missing.add("consent")
        return ["permit", "deny"]
    return ["permit" if recorded.consent_present else "deny"]


def replay(candidate: PolicySet, recorded: Iterable[RecordedDecision]) -> ReplayResult:
    """Replay `recorded` through the candidate's engine; the changes and the undecidable."""
    replayer = _Replayer(PolicyEngine(candidate))
    changes: list[Change] = []
    undetermined: list[tuple[RecordedDecision, tuple[str, ...]]] = []
    count = 0
    for item in recorded:
        count += 1
        found, missing = replayer.outcomes(item)
        outcomes = {outcome for outcome, _ in found}
        if len(outcomes) > 1:
            undetermined.append((item, tuple(sorted(missing))))
            continue
        (outcome,) = outcomes
        if outcome == item.decision:
            continue
        decision = next(d for o, d in sorted(found, key=lambda f: f[1].rule_ids) if o == outcome)
        reason = decision.reason
        if decision.permitted and outcome == "deny":
            reason = "consent_required"
        changes.append(
            Change(
                recorded=item,
                outcome=outcome,
                reason=reason,
                rule_ids=decision.rule_ids,
                explanation_nl=decision.explanation_nl,
                explanation_en=decision.explanation_en,
            )
        )
    return ReplayResult(count, tuple(changes), tuple(undetermined))


@dataclass(frozen=True, slots=True)
class RuleDiff:
    """The difference between two rule sets, by rule id."""

    added: tuple[Rule, ...]
    removed: tuple[Rule, ...]
    changed: tuple[tuple[Rule, Rule, tuple[str, ...]], ...]  # old, new, changed keys

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff_rules(old: Sequence[Rule], new: Sequence[Rule]) -> RuleDiff:
    """Rules added, removed and changed (with the keys of `Rule.canonical` that differ)."""
    before = {rule.id: rule for rule in old}
    after = {rule.id: rule for rule in new}
    changed = []
    for rule_id in sorted(before.keys() & after.keys()):
        a, b = before[rule_id].canonical(), after[rule_id].canonical()
        keys = tuple(k for k in sorted(a) if a[k] != b[k])
        if keys:
            changed.append((before[rule_id], after[rule_id], keys))
    return RuleDiff(
        added=tuple(after[i] for i in sorted(after.keys() - before.keys())),
        removed=tuple(before[i] for i in sorted(before.keys() - after.keys())),
        changed=tuple(changed),
    )
