"""Who may see a household: the regiehouder always; another organisation only as the
policy and every current member's consent allow. Plain functions over ports, so the
organisations' API and (next) the pages ask the same rule and get the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from consent import CASE_REFERENCE, Household, RequesterRef, SourceRef
from gateway.errors import CustodyNotConfirmed, UnknownPurpose, naming_valid_values
from policies import DecisionRequest, PolicyStore, Vocabulary

if TYPE_CHECKING:
    from collections.abc import Callable

    from consent import SqlCaseStore, SqlConsentStore, SqlHouseholdStore
    from gateway.access.custody import CustodyFreshness
    from gateway.auth.organisations import OrganisationRegistry
    from gateway.auth.principal import Principal

__all__ = [
    "HOUSEHOLD_CATEGORY",
    "HouseholdAccess",
    "HouseholdPorts",
    "may_see_household",
    "require_fresh_custody",
    "visible_household_of",
]

HOUSEHOLD_CATEGORY = "household_composition"


@dataclass(frozen=True, slots=True)
class HouseholdPorts:
    """What the household rules read: the configuration, the stores, the register."""

    vocabulary: Vocabulary
    organisations: OrganisationRegistry
    policies: PolicyStore  # the policy set in force (reloadable: read `.engine` per call)
    households: SqlHouseholdStore
    consents: SqlConsentStore
    cases: SqlCaseStore
    custody: CustodyFreshness
    pseudonym: Callable[[str], str]  # a BSN (elfproef-checked) as its keyed pseudonym


@dataclass(frozen=True, slots=True)
class HouseholdAccess:
    """Whether a caller may see a household, and why (for the audit log)."""

    allowed: bool
    reason: str  # regiehouder | permitted | consent_required | a policy reason | no_purpose
    rule_ids: tuple[str, ...] = ()
    legal_basis: str | None = None
    consent_ids: tuple[str, ...] = ()
    case_id: str | None = None  # the registered case a case reference resolved to

    def __bool__(self) -> bool:
        return self.allowed


async def may_see_household(
    ports: HouseholdPorts,
    principal: Principal,
    household: Household,
    purpose: str | None,
    *,
    case_reference: str | None = None,
) -> HouseholdAccess:
    """The regiehouder always; another organisation only when the policy permits
    `household_composition` for its type and `purpose` from the regiehouder's type,
    and, if that permit needs consent, every current member's consent covers it.
    A `case_reference` counts only as the caller's open case covering a current member."""
    org = principal.organisation
    if org.id == household.regiehouder:
        return HouseholdAccess(True, "regiehouder")
    if purpose is None:
        return HouseholdAccess(False, "no_purpose")
    if purpose not in ports.vocabulary.purposes:
        raise naming_valid_values(
            UnknownPurpose, "`purpose` is not a known purpose", ports.vocabulary.purposes
        )
    regiehouder = ports.organisations.get(household.regiehouder)
    if regiehouder is None:
        return HouseholdAccess(False, "no_matching_rule")
    now = datetime.now(UTC)
    case_id = None
    if case_reference is not None and CASE_REFERENCE.match(case_reference):
        case_id = await ports.cases.open_case_covering(
            org.id, case_reference, [m.person for m in household.members_at(now)]
        )
    decision = ports.policies.engine.decide(
        DecisionRequest(
            requester_type=org.type,
            purpose=purpose,
            source_type=regiehouder.type,
            category=HOUSEHOLD_CATEGORY,
            at=now,
            requester_role=principal.role,
            requester_region=org.region,
            has_case_reference=case_id is not None,
        )
    )
    if not decision.permitted or decision.aggregates_only or decision.break_glass:
        reason = decision.reason if not decision.permitted else "condition_not_met"
        return HouseholdAccess(False, reason, decision.rule_ids, decision.legal_basis)
    if not decision.consent_required:
        return HouseholdAccess(
            True, "permitted", decision.rule_ids, decision.legal_basis, case_id=case_id
        )
    requester = RequesterRef(org.id, org.type, org.region)
    source = SourceRef(regiehouder.id, regiehouder.type)
    store = ports.consents
    used: list[str] = []
    custody = ports.custody
    for member in household.members_at(now):
        # No BSN here to re-read custody with: stale custody counts as unknown (fail closed).
        state = await custody.current(await store.subject_state(member.person, now), None)
        (coverage,) = store.covers_in(state, requester, [(purpose, HOUSEHOLD_CATEGORY, source)])
        if not coverage.ok:
            return HouseholdAccess(
                False, "consent_required", decision.rule_ids, decision.legal_basis
            )
        used.extend(coverage.consent_ids)
    return HouseholdAccess(
        True,
        "permitted",
        decision.rule_ids,
        decision.legal_basis,
        tuple(sorted(set(used))),
        case_id,
    )


async def require_fresh_custody(ports: HouseholdPorts, subject: str, bsn: Any) -> None:
    """Before someone acts for `subject` as a custody holder (a withdrawal takes effect
    at once): custody older than the freshness is re-read from the register, which needs
    the subject's BSN (`bsn`, None if the request has none). Without it the custody
    counts as unknown: 422 `custody_not_confirmed`, nothing written (fail closed)."""
    custody = ports.custody
    state = await ports.consents.subject_state(subject, datetime.now(UTC))
    if not custody.is_stale(state):
        return
    if not isinstance(bsn, str) or ports.pseudonym(bsn) != subject:
        raise CustodyNotConfirmed(
            "The custody register must confirm this custody again first: "
            "name the person it is about (`subject`)"
        )
    await custody.reconfirm(bsn, subject, state.at)


async def visible_household_of(
    ports: HouseholdPorts, principal: Principal, person: str, purpose: str | None
) -> Household | None:
    """The first household of `person` the caller may see, or None (then: 404)."""
    store = ports.households
    for household_id in await store.households_of(person):
        household = await store.get(household_id)
        if (await may_see_household(ports, principal, household, purpose)).allowed:
            return household
    return None
