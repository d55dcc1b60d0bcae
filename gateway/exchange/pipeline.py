"""The exchange, as one function that reads like the design's request flow.

authenticate (done by the route) → validate → pseudonymise → read the
subject (household, custody, live consents: one read) → decide every source x
category → consent → fetch the permitted items concurrently → minimise →
audit (durably, before anything leaves) → answer.

The requester is an organisation's `Principal` or, for the household portal, a
`HouseholdRequester` (requester type `household`, channel `household_portal`,
`about_self` when the subject is the member): no case reference, no consent (a permit
that needs one is denied), every source asked, entries `household.read`.

Longer than most modules on purpose: the whole flow reads top to bottom in one place,
like the diagram in ARCHITECTURE.md; its collaborators are ports.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol

from adapters.base import CategoryRecords, FetchRequest, SourceAdapter
from adapters.errors import SourceUnavailable
from adapters.registry import fetch_all
from consent import AgeRules
from gateway.auth.organisation_tokens import Principal
from gateway.auth.organisations import Organisation
from gateway.exchange.missing import describe_missing
from gateway.exchange.model import (
    AccessRecord,
    ExchangeRequest,
    ExchangeResult,
    ItemResult,
    SubjectInfo,
)
from policies import Decision, DecisionContext, PolicyEngine

__all__ = [
    "AccessLog",
    "ConsentView",
    "ExchangeDeps",
    "ExchangeMeta",
    "HouseholdRequester",
    "RequestMeta",
    "Requester",
    "SubjectReader",
    "SubjectRecord",
    "run_exchange",
]


HOUSEHOLD_PORTAL = "household-portal"  # who a source is told asks, for a household member


@dataclass(frozen=True)
class HouseholdRequester:
    """A household member reading their own (or a child's) dossier on the portal: the
    portal requester type `household` (config/organisation_types.toml), on the
    `household_portal` channel. Which subjects they may ask about is decided before
    (`gateway.access.visible`); the policy still decides every item (restricted data only
    `about_self`), and the audit entries name the member's pseudonym, no organisation."""

    person: str  # pseudonym of the signed-in member
    household_id: str | None
    requester_type: str = "household"


Requester = Principal | HouseholdRequester


@dataclass(frozen=True)
class ConsentView:
    ok: bool
    consent_ids: tuple[str, ...]
    missing: tuple[str, ...]


class SubjectRecord(Protocol):
    """What the registry and the consent store hold on the subject, read once per
    exchange at its start; nothing is cached between exchanges."""

    @property
    def info(self) -> SubjectInfo: ...

    def consent(
        self, requester: Organisation, purpose: str, items: Sequence[tuple[str, Organisation]]
    ) -> list[ConsentView]:
        """Whether consent covers each (category, source) for `requester` and `purpose`."""
        ...

    def open_case(self, organisation_id: str, reference: str) -> str | None:
        """The id of `organisation_id`'s open case `reference` covering the subject, or None
        (read with the subject: no further query)."""
        ...


class SubjectReader(Protocol):
    async def read(self, pseudonym: str, at: datetime, bsn: str | None = None) -> SubjectRecord:
        """The subject at `at`; with `bsn`, stale custody can be re-read from the register."""
        ...


@dataclass(frozen=True)
class ExchangeMeta:
    """Who asked what, for the audit log (pseudonyms and codes only)."""

    exchange_id: str
    request_id: str
    trace_id: str
    requester: Requester
    subject: SubjectInfo
    purpose: str
    policy_version: str
    at: datetime
    justification: str | None
    case_id: str | None = None  # the registered case a case reference resolved to


class AccessLog(Protocol):
    async def record(self, meta: ExchangeMeta, records: Sequence[AccessRecord]) -> Sequence[int]:
        """Append durably; raise `AuditUnavailable` if that cannot be done."""
        ...


@dataclass(frozen=True)
class ExchangeDeps:
    engine: Callable[[], PolicyEngine]  # the policy set in force at this moment
    organisations: Mapping[str, Organisation]
    adapters: Mapping[str, SourceAdapter]
    pseudonymise: Callable[[str], str]
    subjects: SubjectReader
    access_log: AccessLog
    deadline_seconds: float
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    # Whose calendar an age follows (config/consent.toml [age_rules] time_zone).
    age_rules: AgeRules = field(default_factory=AgeRules)


@dataclass(frozen=True)
class RequestMeta:
    request_id: str
    trace_id: str
    traceparent: str


async def run_exchange(
    request: ExchangeRequest, principal: Requester, meta: RequestMeta, deps: ExchangeDeps
) -> ExchangeResult:
    now = deps.clock()
    engine = deps.engine()
    record = await deps.subjects.read(deps.pseudonymise(request.bsn), now, request.bsn)
    subject = record.info
    org = principal.organisation if isinstance(principal, Principal) else None
    # A case reference counts only as the requester's open case covering this subject.
    case_id = (
        None
        if request.case_reference is None or org is None
        else record.open_case(org.id, request.case_reference)
    )
    sources = _sources(request, org, deps)
    subject_age = (
        None if subject.birth_date is None else deps.age_rules.age_at(subject.birth_date, now)
    )
    if isinstance(principal, HouseholdRequester):
        context = DecisionContext(
            requester_type=principal.requester_type,
            purpose=request.purpose,
            at=now,
            subject_age=subject_age,
            channel="household_portal",
            about_self=subject.pseudonym == principal.person,
        )
    else:
        org = principal.organisation
        context = DecisionContext(
            requester_type=org.type,
            purpose=request.purpose,
            at=now,
            requester_role=principal.role,
            requester_region=org.region,
            subject_age=subject_age,
            requester_is_regiehouder=subject.regiehouder_org_id == org.id,
            has_case_reference=case_id is not None,
            justification_length=len(request.justification or ""),
        )
    pairs = [(source, category) for source in sources for category in request.categories]
    decisions = engine.decide_all(context, [(source.type, category) for source, category in pairs])
    items = _apply_consent(
        pairs, decisions, record, org, request.purpose, subject_age, deps.age_rules
    )
    items = await _fetch(items, request, org, meta, deps)
    exchange = ExchangeMeta(
        exchange_id="ex_" + secrets.token_hex(12),
        request_id=meta.request_id,
        trace_id=meta.trace_id,
        requester=principal,
        subject=subject,
        purpose=request.purpose,
        policy_version=engine.version,
        at=now,
        justification=request.justification,
        case_id=case_id,
    )
    seqs = await deps.access_log.record(exchange, [_access_record(item) for item in items])
    return ExchangeResult(exchange.exchange_id, engine.version, tuple(items), tuple(seqs))


def _sources(
    request: ExchangeRequest, requester: Organisation | None, deps: ExchangeDeps
) -> list[Organisation]:
    if request.sources is not None:
        return [deps.organisations[source_id] for source_id in request.sources]
    return [
        org
        for org_id, org in sorted(deps.organisations.items())
        if org_id in deps.adapters and (requester is None or org_id != requester.id)
    ]


def _apply_consent(
    pairs: Sequence[tuple[Organisation, str]],
    decisions: Sequence[Decision],
    record: SubjectRecord,
    requester: Organisation | None,
    purpose: str,
    subject_age: int | None = None,
    age_rules: AgeRules | None = None,
) -> list[ItemResult]:
    """Items after the consent check: a permit that needs consent holds only if one covers it.
    Consent names recipient organisations, so for a household requester (`None`) a permit
    that needs consent never holds (fail closed; the portal's rules need none)."""
    needing = [i for i, d in enumerate(decisions) if d.permitted and d.consent_required]
    views = (
        record.consent(requester, purpose, [(pairs[i][1], pairs[i][0]) for i in needing])
        if requester is not None
        else [ConsentView(False, (), ()) for _ in needing]
    )
    by_index = dict(zip(needing, views, strict=True))
    items: list[ItemResult] = []
    for index, ((source, category), decision) in enumerate(zip(pairs, decisions, strict=True)):
        view = by_index.get(index)
        if not decision.permitted:
            items.append(ItemResult(source.id, category, decision, decision.reason))
        elif view is not None and not view.ok:
            missing = describe_missing(
                view.missing, record.info.pseudonym, subject_age, age_rules or AgeRules()
            )
            still_nl = "; ".join(m.nl for m in missing)
            still_en = "; ".join(m.en for m in missing)
            denied = replace(
                decision,
                effect="deny",
                reason="consent_required",
                explanation_nl="Niet toegestaan: de nodige toestemming ontbreekt"
                + (f" (nog nodig: {still_nl}). " if missing else ". ")
                + decision.explanation_nl,
                explanation_en="Denied: the consent this needs is missing"
                + (f" (still needed: {still_en}). " if missing else ". ")
                + decision.explanation_en,
            )
            items.append(
                ItemResult(
                    source.id,
                    category,
                    denied,
                    "consent_required",
                    missing_consent_from=view.missing,
                    missing_consent=missing,
                )
            )
        else:
            consent_ids = view.consent_ids if view is not None else ()
            items.append(
                ItemResult(
                    source.id,
                    category,
                    decision,
                    decision.reason,
                    consent_ids=consent_ids,
                    outcome="returned",
                )
            )
    return items


async def _fetch(
    items: list[ItemResult],
    request: ExchangeRequest,
    requester: Organisation | None,
    meta: RequestMeta,
    deps: ExchangeDeps,
) -> list[ItemResult]:
    """Ask each source only for its permitted categories; keep only those (minimisation)."""
    wanted: dict[str, list[str]] = {}
    for item in items:
        if item.outcome == "returned":
            wanted.setdefault(item.source, []).append(item.category)
    fetch_requests = {
        source: FetchRequest(
            bsn=request.bsn,
            categories=tuple(categories),
            purpose=request.purpose,
            requester_id=HOUSEHOLD_PORTAL if requester is None else requester.id,
            request_id=meta.request_id,
            traceparent=meta.traceparent,
        )
        for source, categories in wanted.items()
    }
    outcomes = await fetch_all(deps.adapters, fetch_requests, deps.deadline_seconds)
    return [_with_records(item, outcomes.get(item.source)) for item in items]


def _with_records(
    item: ItemResult, outcome: CategoryRecords | SourceUnavailable | None
) -> ItemResult:
    if item.outcome != "returned":
        return item
    if outcome is None or isinstance(outcome, SourceUnavailable):
        return replace(item, outcome="source_error", error=SourceUnavailable.code, records=None)
    records = [dict(record) for record in outcome.get(item.category, [])]
    if item.decision.aggregates_only:
        records = [{"count": len(records)}]
    return replace(item, records=records)


def _access_record(item: ItemResult) -> AccessRecord:
    return AccessRecord(
        source=item.source,
        category=item.category,
        decision="deny" if item.outcome == "denied" else "permit",
        reason=item.reason,
        rule_ids=item.decision.rule_ids,
        legal_basis=item.decision.legal_basis,
        consent_ids=item.consent_ids,
        outcome=item.outcome,
        confidential=item.decision.confidential,
        break_glass=item.decision.break_glass,
    )
