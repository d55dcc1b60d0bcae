"""The bodies of the officer's insight routes: policies, simulation, signals, statistics.

Apart from `schema.py` (the audit routes' bodies) so the two officer route modules
can change without touching each other. Every nested shape is a named Struct, so the
OpenAPI document (and a client generated from it) names them.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from gateway.http.vocabulary import Time

__all__ = [
    "EXAMPLE_SIMULATION",
    "CompareRequest",
    "PolicyComparison",
    "PolicyListing",
    "SignalList",
    "SimulationAnswer",
    "SimulationRequest",
    "Statistics",
]

PolicyText = Annotated[str, msgspec.Meta(max_length=256 * 1024)]
FileName = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_.-]{0,80}\.toml$")]


class Texts(msgspec.Struct):
    """The same words in Dutch and English."""

    nl: str
    en: str


class TextLists(msgspec.Struct):
    nl: list[str]
    en: list[str]


class PolicyRule(msgspec.Struct):
    """One rule in plain words, with what it applies to."""

    id: str
    effect: str
    text: Texts
    conditions: TextLists
    requester_types: list[str]
    requester_roles: list[str]
    purposes: list[str]
    source_types: list[str]
    categories: list[str]
    legal_basis: str | None
    statutory_reference: str | None
    consent_required: bool
    regions: list[str]
    file: str


class Controller(msgspec.Struct):
    name: str
    contact: str
    privacy_officer: str
    joint_controllers: list[str] = []


class Labelled(msgspec.Struct):
    id: str
    nl: str
    en: str


class DataCategory(msgspec.Struct):
    id: str
    nl: str
    en: str
    sensitivity: str


class RetentionPeriod(msgspec.Struct):
    what: str
    period: str  # ISO 8601 duration
    nl: str
    en: str


class ProcessingRegister(msgspec.Struct):
    """AVG art. 30(1): (a) controller, (b) purposes, (c) data subjects and categories,
    (d) recipients, (e) third countries, (f) retention, (g) security measures."""

    controller: Controller
    purposes: list[Labelled]
    data_subjects: list[Labelled]
    categories: list[DataCategory]
    recipients: list[Labelled]
    third_country_transfers: Texts
    retention: list[RetentionPeriod]
    security_measures: list[Texts]


class PolicyListing(msgspec.Struct):
    version: str
    files: list[str]
    rules: list[PolicyRule]
    register: ProcessingRegister


class SimulationRequest(msgspec.Struct, forbid_unknown_fields=True):
    """A candidate rule set (file name -> the TOML the loader reads) and the period."""

    policies: dict[FileName, PolicyText]
    since: Time = msgspec.field(name="from")
    until: Time = msgspec.field(name="to")


class CompareRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Another version of the rule set (file name -> TOML), to compare with the one in force."""

    policies: dict[FileName, PolicyText]


class PolicyComparison(msgspec.Struct):
    in_force_version: str
    other_version: str
    rule_changes: RuleDiff


class Period(msgspec.Struct):
    since: str = msgspec.field(name="from")
    until: str = msgspec.field(name="to")


class RecordedOutcome(msgspec.Struct):
    decision: str
    reason: str
    rule_ids: list[str]


class CandidateOutcome(msgspec.Struct):
    decision: str
    reason: str
    rule_ids: list[str]
    explanation: Texts


class DecisionChange(msgspec.Struct):
    """A recorded decision the candidate decides otherwise (codes only)."""

    seq: int
    time: str
    purpose: str
    requester_type: str
    source_type: str
    category: str
    change: str  # permit_to_deny | deny_to_permit
    recorded: RecordedOutcome
    candidate: CandidateOutcome


class ChangeCount(msgspec.Struct):
    change: str
    rule_ids: list[str]
    reason: str
    count: int


class Undetermined(msgspec.Struct):
    """A recorded decision the log lacks an input to replay (named in `missing`)."""

    seq: int
    missing: list[str]


class RuleChange(msgspec.Struct):
    id: str
    keys: list[str]
    before: PolicyRule
    after: PolicyRule


class RuleDiff(msgspec.Struct):
    added: list[PolicyRule]
    removed: list[PolicyRule]
    changed: list[RuleChange]


class SimulationAnswer(msgspec.Struct):
    candidate_version: str
    in_force_version: str
    period: Period
    replayed: int
    unreplayable: int
    changes_total: int
    summary: list[ChangeCount]
    changes: list[DecisionChange]  # the first `max_listed`; `summary` counts all
    undetermined_total: int
    undetermined: list[Undetermined]  # the first `max_listed`
    rule_changes: RuleDiff
    missing_inputs: dict[str, str]


class Signal(msgspec.Struct):
    """A pattern to look at, in plain words, with links (`seqs`, and log `filters`)."""

    kind: str
    organisation: str
    professional: str
    count: int
    explanation: Texts
    seqs: list[int]
    filters: dict[str, str]  # GET /api/v1/audit/entries parameters
    filters_exact: bool  # the filters select exactly the signal's entries (else a superset)
    figures: dict[str, float | list[str]]


class SignalList(msgspec.Struct):
    window: Period
    signals: list[Signal]


class StatisticsCell(msgspec.Struct):
    unit: str
    quarter: str
    measure: str
    value: int | None  # None: suppressed
    suppressed: bool


class StatisticsTotal(msgspec.Struct):
    unit: str
    measure: str
    value: int


class Statistics(msgspec.Struct):
    method: str
    threshold: int
    rounding_base: int
    quarters: list[str]
    cells: list[StatisticsCell]
    totals: list[StatisticsTotal]


EXAMPLE_SIMULATION = SimulationRequest(
    policies={"wijkteam.toml": '[[rules]]\nid = "wijkteam-support-planning"\neffect = "permit"\n'},
    since="2026-01-01T00:00:00Z",
    until="2026-04-01T00:00:00Z",
)
