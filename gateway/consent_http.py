"""What the household and consent routes share: input parsing against the
vocabulary, mapping `consent` errors to problems, JSON shapes, and the rule for
who may see a household.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from consent import (
    CASE_REFERENCE,
    AuditStep,
    CaseAlreadyClosedError,
    CaseNotFoundError,
    CaseReferenceInUseError,
    ConsentAlreadyWithdrawnError,
    ConsentNotActiveError,
    ConsentNotFoundError,
    ConsentRecord,
    ConsentScope,
    CustodyNotConfirmedError,
    CustodyRegisterUnavailableError,
    Household,
    HouseholdNotFoundError,
    InvalidCaseError,
    InvalidHouseholdError,
    InvalidValidityError,
    NoCustodyError,
    NotRegiehouderError,
    PersonNotConfirmedError,
    Receipt,
    RegiehouderExistsError,
    RequesterRef,
    SourceRef,
    WithdrawalNotPermittedError,
)
from gateway.appkeys import (
    AUDIT,
    CASES,
    CONSENTS,
    CUSTODY,
    HOUSEHOLDS,
    ORGANISATIONS,
    POLICIES,
    PSEUDONYMISER,
    REQUEST_ID,
    TRACE_ID,
    VOCABULARY,
)
from gateway.audit.model import AuditEvent
from gateway.auth.organisation_tokens import Principal
from gateway.errors import (
    AuditUnavailable,
    CaseAlreadyClosed,
    CaseReferenceInUse,
    Conflict,
    ConsentAlreadyWithdrawn,
    CustodyNotConfirmed,
    CustodyRegisterUnavailable,
    InvalidValidity,
    NoCustody,
    NotFound,
    NotRegiehouder,
    PersonNotConfirmed,
    RegiehouderExists,
    UnknownCategory,
    UnknownOrganisation,
    UnknownPurpose,
    ValidationFailed,
    WithdrawalNotPermitted,
)
from gateway.http.inputs import EARLIEST, LATEST, clean_text, parse_date, parse_datetime
from policies import DecisionRequest

__all__ = [
    "HOUSEHOLD_CATEGORY",
    "HouseholdAccess",
    "audit",
    "audit_step",
    "birth_date",
    "bsn_of",
    "consent_audit_step",
    "consent_errors",
    "consent_json",
    "household_json",
    "may_see_household",
    "optional_datetime",
    "parse_scope",
    "pseudonym",
    "query_purpose",
    "receipt_json",
    "require_fresh_custody",
    "string",
    "visible_household_of",
]

HOUSEHOLD_CATEGORY = "household_composition"


@contextlib.contextmanager
def consent_errors() -> Iterator[None]:
    """Turn the consent package's errors into the gateway's problems."""
    try:
        yield
    except (HouseholdNotFoundError, ConsentNotFoundError, CaseNotFoundError):
        raise NotFound("Not found") from None
    except ConsentAlreadyWithdrawnError:
        raise ConsentAlreadyWithdrawn("This consent was already withdrawn") from None
    except ConsentNotActiveError as exc:
        raise Conflict(str(exc)) from None
    except NoCustodyError:
        raise NoCustody("The person acting for the child has no custody of it") from None
    except InvalidValidityError as exc:
        raise InvalidValidity(str(exc)) from None
    except (InvalidHouseholdError, InvalidCaseError) as exc:
        raise ValidationFailed(str(exc)) from None
    except CaseAlreadyClosedError:
        raise CaseAlreadyClosed("This case was already closed") from None
    except CaseReferenceInUseError:
        raise CaseReferenceInUse("An open case of this organisation has this reference") from None
    except RegiehouderExistsError:
        # Never says which organisation or household: that is itself personal data.
        raise RegiehouderExists(
            "A person in this request already has a regiehouder; only a hand-over by that "
            "regiehouder changes it"
        ) from None
    except NotRegiehouderError:
        raise NotRegiehouder("Only the household's regiehouder may do this") from None
    except WithdrawalNotPermittedError:
        raise WithdrawalNotPermitted(
            "Only the person it is about, a custody holder of that person, or the "
            "organisation that recorded it may withdraw this consent"
        ) from None
    except CustodyNotConfirmedError as exc:
        raise CustodyNotConfirmed(str(exc)) from None
    except PersonNotConfirmedError as exc:
        raise PersonNotConfirmed(str(exc)) from None
    except CustodyRegisterUnavailableError:
        raise CustodyRegisterUnavailable(
            "The custody register cannot be reached; nothing was written"
        ) from None


# -- input ------------------------------------------------------------------------------


def string(body: Mapping[str, Any], name: str, *, required: bool = True, limit: int = 200) -> str:
    """A one-line text field: non-empty, at most `limit` characters, no control characters."""
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or not clean_text(value, limit):
        raise ValidationFailed(
            f"`{name}` must be a non-empty string of at most {limit} characters "
            "without control characters"
        )
    return value.strip()


def query_purpose(request: web.Request) -> str | None:
    """The `purpose` query parameter: None when absent or empty, else a purpose of the
    vocabulary (400 `unknown_purpose`). Checked before anything is decided or logged:
    the audit log takes codes only, so free text there would be a 500."""
    value = request.query.get("purpose") or None
    if value is not None and value not in request.app[VOCABULARY].purposes:
        raise UnknownPurpose("`purpose` is not a known purpose")
    return value


def pseudonym(request: web.Request, value: Any) -> str:
    """A BSN (elfproef-checked; `invalid_bsn` otherwise) as its keyed pseudonym."""
    return request.app[PSEUDONYMISER].pseudonym(value if isinstance(value, str) else "")


def bsn_of(body: Mapping[str, Any], name: str) -> Any:
    """`{"bsn": "..."}` or a bare string."""
    value = body.get(name)
    return value.get("bsn") if isinstance(value, dict) else value


def birth_date(value: Any) -> date:
    parsed = parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValidationFailed(
            f"`birth_date` must be a date (YYYY-MM-DD) in the years {EARLIEST} to {LATEST}"
        )
    return parsed


def optional_datetime(body: Mapping[str, Any], name: str) -> datetime | None:
    """An ISO 8601 date-time with a time zone, in UTC; None when absent. Years outside
    EARLIEST..LATEST are refused: at the calendar's ends the conversion overflows."""
    value = body.get(name)
    if value is None:
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValidationFailed(
            f"`{name}` must be an ISO 8601 date-time with a time zone, "
            f"in the years {EARLIEST} to {LATEST}"
        )
    return parsed


def _names(body: Mapping[str, Any], name: str, *, required: bool) -> frozenset[str]:
    value = body.get(name, [] if not required else None)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed(f"`{name}` must be a list of strings")
    if required and not value:
        raise ValidationFailed(f"`{name}` must not be empty")
    if len(value) > 50:
        raise ValidationFailed(f"`{name}` may hold at most 50 entries")
    return frozenset(value)


def _parties(
    body: Mapping[str, Any], name: str, request: web.Request
) -> tuple[frozenset[str], frozenset[str]]:
    value = body.get(name, {})
    if not isinstance(value, dict) or set(value) - {"organisations", "types"}:
        raise ValidationFailed(f"`{name}` must be an object with `organisations` and/or `types`")
    orgs = _names(value, "organisations", required=False)
    types = _names(value, "types", required=False)
    registry = request.app[ORGANISATIONS]
    if any(registry.get(o) is None for o in orgs):
        raise UnknownOrganisation(f"`{name}.organisations` names an unknown organisation")
    if types - set(request.app[VOCABULARY].organisation_types):
        raise UnknownOrganisation(f"`{name}.types` names an unknown organisation type")
    return orgs, types


def parse_scope(request: web.Request, body: Mapping[str, Any]) -> ConsentScope:
    vocabulary = request.app[VOCABULARY]
    purposes = _names(body, "purposes", required=True)
    if purposes - set(vocabulary.purposes):
        raise UnknownPurpose("`purposes` names an unknown purpose")
    categories = _names(body, "categories", required=True)
    if categories - set(vocabulary.categories):
        raise UnknownCategory("`categories` names an unknown data category")
    if "recipients" not in body:
        raise ValidationFailed("`recipients` is required")
    recipient_orgs, recipient_types = _parties(body, "recipients", request)
    if not recipient_orgs and not recipient_types:
        raise ValidationFailed("`recipients` must name at least one organisation or type")
    source_orgs, source_types = _parties(body, "sources", request)
    regions = _names(body, "regions", required=False)
    if regions and not recipient_types:
        raise ValidationFailed("`regions` only applies to `recipients.types`")
    if regions - {org.region for org in request.app[ORGANISATIONS]}:
        raise ValidationFailed("`regions` names a region no configured organisation is in")
    return ConsentScope(
        purposes=purposes,
        categories=categories,
        recipient_organisations=recipient_orgs,
        recipient_types=recipient_types,
        source_organisations=source_orgs,
        source_types=source_types,
        regions=regions,
    )


# -- who may see a household ------------------------------------------------------------


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
    request: web.Request,
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
    if purpose not in request.app[VOCABULARY].purposes:
        raise UnknownPurpose("`purpose` is not a known purpose")
    regiehouder = request.app[ORGANISATIONS].get(household.regiehouder)
    if regiehouder is None:
        return HouseholdAccess(False, "no_matching_rule")
    now = datetime.now(UTC)
    case_id = None
    if case_reference is not None and CASE_REFERENCE.match(case_reference):
        case_id = await request.app[CASES].open_case_covering(
            org.id, case_reference, [m.person for m in household.members_at(now)]
        )
    decision = request.app[POLICIES].engine.decide(
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
    store = request.app[CONSENTS]
    used: list[str] = []
    custody = request.app[CUSTODY]
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


async def audit(
    request: web.Request, principal: Principal | None, event_type: str, **fields: Any
) -> None:
    """Append one event to the audit log (raises `AuditUnavailable`, a 503, on failure)."""
    await request.app[AUDIT].append([_event(request, principal, event_type, **fields)])


def _event(
    request: web.Request, principal: Principal | None, event_type: str, **fields: Any
) -> AuditEvent:
    who: dict[str, Any] = {}
    if principal is not None:
        who = {
            "requester_org": principal.organisation.id,
            "professional": principal.subject,
            "role": principal.role,
        }
    return AuditEvent(
        event_type=event_type,
        request_id=request[REQUEST_ID],
        trace_id=request.get(TRACE_ID),
        policy_version=request.app[POLICIES].version,
        **who,
        **fields,
    )


def audit_step(
    request: web.Request,
    principal: Principal | None,
    event_type: str,
    fields: Callable[[str], Mapping[str, Any]],
) -> AuditStep:
    """The audit entry of a write, appended inside the write's own transaction.

    `fields(written_id)` gives the event's fields once the store knows the id of what
    it wrote. If the entry cannot be built or appended the step raises
    `AuditUnavailable` (503) and the store's transaction rolls back: nothing is kept.
    """

    async def step(conn: AsyncConnection, written_id: str) -> None:
        try:
            event = _event(request, principal, event_type, **fields(written_id))
        except ValueError:  # an identifier the audit log would refuse
            raise AuditUnavailable(
                "Audit entry could not be written; nothing was changed"
            ) from None
        await request.app[AUDIT].append_with(conn, [event])

    return step


def consent_audit_step(
    request: web.Request,
    principal: Principal | None,
    *,
    subject: str,
    decision: str,
    recorded_via: str,
    event: str,
    details: Mapping[str, str] | None = None,
) -> AuditStep:
    """The audit step for a consent recorded or withdrawn (codes and pseudonyms only)."""
    if event == "withdrawn":
        event_type = "consent.withdrawn"
    elif recorded_via == "paper":
        event_type = "consent.recorded_on_paper"
    else:
        event_type = "consent.granted"
    return audit_step(
        request,
        principal,
        event_type,
        lambda consent_id: {
            "subject": subject,
            "decision": "permit" if decision == "grant" else "deny",
            "consent_ids": (consent_id,),
            "details": {"event": event, "recorded_via": recorded_via, **(details or {})},
        },
    )


async def require_fresh_custody(request: web.Request, subject: str, bsn: Any) -> None:
    """Before someone acts for `subject` as a custody holder (a withdrawal takes effect
    at once): custody older than the freshness is re-read from the register, which needs
    the subject's BSN (`bsn`, None if the request has none). Without it the custody
    counts as unknown: 422 `custody_not_confirmed`, nothing written (fail closed)."""
    custody = request.app[CUSTODY]
    state = await request.app[CONSENTS].subject_state(subject, datetime.now(UTC))
    if not custody.is_stale(state):
        return
    if not isinstance(bsn, str) or pseudonym(request, bsn) != subject:
        raise CustodyNotConfirmed(
            "The custody register must confirm this custody again first: "
            "name the person it is about (`subject`)"
        )
    with consent_errors():
        await custody.reconfirm(bsn, subject, state.at)


async def visible_household_of(
    request: web.Request, principal: Principal, person: str, purpose: str | None
) -> Household | None:
    """The first household of `person` the caller may see, or None (then: 404)."""
    store = request.app[HOUSEHOLDS]
    for household_id in await store.households_of(person):
        household = await store.get(household_id)
        if (await may_see_household(request, principal, household, purpose)).allowed:
            return household
    return None


# -- output -----------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def household_json(household: Household) -> dict[str, Any]:
    now = datetime.now(UTC)
    current = {m.person for m in household.members_at(now)}
    return {
        "id": household.id,
        "regiehouder": household.regiehouder,
        "region": household.region,
        "contact_person": {
            "organisation": household.contact_organisation,
            "professional": household.contact_professional,
        },
        "created_at": household.created_at.isoformat(),
        "members": [
            {
                "person": m.person,
                "birth_date": m.birth_date.isoformat(),
                "role": m.role,
                "since": m.since.isoformat(),
                "until": _iso(m.until),
                "current": m.person in current and m.until is None,
            }
            for m in household.members
        ],
        "custody": [
            {
                "parent": c.parent,
                "child": c.child,
                "since": c.since.isoformat(),
                "until": _iso(c.until),
                "confirmed_at": _iso(c.confirmed_at),
            }
            for c in household.custody
        ],
        "history": [
            {
                "event": e.event,
                "at": e.at.isoformat(),
                "actor": e.actor.as_dict(),
                "detail": e.detail,
            }
            for e in household.events
        ],
    }


def consent_json(record: ConsentRecord) -> dict[str, Any]:
    scope = record.scope
    return {
        "id": record.id,
        "subject": record.subject,
        "given_by": {"person": record.given_by, "role": record.giver_role},
        "decision": record.decision,
        "status": record.status_at(datetime.now(UTC)),
        "purposes": sorted(scope.purposes),
        "categories": sorted(scope.categories),
        **scope.parties_json(),
        "given_at": record.given_at.isoformat(),
        "valid_from": record.valid_from.isoformat(),
        "valid_until": _iso(record.valid_until),
        "withdrawn_at": _iso(record.withdrawn_at),
        "superseded_by": record.superseded_by,
        "recorded_via": record.recorded_via,
        "recorded_by": record.recorded_by.as_dict(),
        "evidence_reference": record.evidence_reference,
        "policy_version": record.policy_version,
        "history": [
            {
                "event": e.event,
                "at": e.at.isoformat(),
                "actor": e.actor.as_dict(),
                "detail": e.detail,
            }
            for e in record.events
        ],
    }


def receipt_json(receipt: Receipt) -> dict[str, Any]:
    return {
        "id": receipt.id,
        "consent_id": receipt.consent_id,
        "event": receipt.event,
        "issued_at": receipt.issued_at.isoformat(),
        "jws": receipt.jws,
    }
