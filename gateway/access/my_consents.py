"""A household member's own consents: what they see, give, withdraw and download.

The JSON routes of `/api/v1/me/consents` and the portal's page "Mijn toestemmingen"
are two thin callers of these functions, so the rules are written once:

- A person sees the consents they gave, that are about them, or about someone in their
  custody, and the notifications about them.
- They give (or refuse) consent for themselves or for a child in their custody (the
  store refuses a parent without custody: 403 `no_custody`).
- They may withdraw one about themselves or about someone in their custody (a parent who
  gave it but no longer has custody sees it: 403 `withdrawal_not_permitted`). A
  withdrawal for a child needs custody the register confirmed within the freshness; the
  portal holds no BSN to re-read older custody with, so that is refused (422
  `custody_not_confirmed`) until the register has been asked again. A custody holder
  never withdraws a 16-year-old's consent, nor from 12 the child's own declaration.
- A consent someone else may not see is 404 `not_found`, as if it did not exist.
- `agreement` says, for a consent about a child of 12 to 15, who else must still
  agree for it to count: by their place in the household ("you", "your parent with
  custody"), never by pseudonym.

Each write commits with its audit entry or not at all: the caller hands in `audit`,
which builds the entry's step (it knows the request id; this module knows no HTTP).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Literal

from consent import (
    Actor,
    AgeRules,
    ConsentRecord,
    ConsentScope,
    NewConsent,
    Notification,
    Receipt,
    requirement,
)
from gateway.access.households import HouseholdPorts, require_fresh_custody
from gateway.errors import InvalidValidity, NotFound

if TYPE_CHECKING:
    from consent import AuditStep
    from consent.model import Decision

__all__ = [
    "Agreement",
    "AuditFor",
    "ConsentReceipts",
    "MyConsents",
    "Party",
    "agreement",
    "consent_receipts",
    "give_consent",
    "my_consents",
    "visible_consent",
    "withdraw_consent",
]

#: Builds the audit step of one write: (subject, decision, recorded_via, event) → step.
AuditFor = Callable[[str, str, str, str], "AuditStep"]

#: Where someone stands towards the viewer: themselves, their child (in their custody),
#: a parent with custody of the child the consent is about, or another custody holder.
Party = Literal["you", "your_child", "parent_with_custody", "other_custody_holder"]


@dataclass(frozen=True, slots=True)
class MyConsents:
    person: str
    children: tuple[str, ...]  # in the person's custody now
    consents: tuple[ConsentRecord, ...]
    notifications: tuple[Notification, ...]


@dataclass(frozen=True, slots=True)
class ConsentReceipts:
    consent: ConsentRecord
    receipts: tuple[Receipt, ...]


@dataclass(frozen=True, slots=True)
class Agreement:
    """Who must agree to a consent about a child of 12 to 15 for it to count, and
    who already did (a live grant about the child covering the same scope)."""

    agreed: tuple[Party, ...]
    waiting_for: tuple[Party, ...]


async def my_consents(ports: HouseholdPorts, person: str) -> MyConsents:
    children = await ports.households.children_in_custody(person)
    records = await ports.consents.for_people([person, *children])
    notifications = await ports.consents.notifications(person)
    return MyConsents(person, tuple(children), tuple(records), tuple(notifications))


async def _may_act_on(ports: HouseholdPorts, person: str, record: ConsentRecord) -> bool:
    """The giver, the person it is about, or a parent with custody of that person."""
    if person in (record.given_by, record.subject):
        return True
    return await ports.households.has_custody(person, record.subject)


async def visible_consent(ports: HouseholdPorts, person: str, consent_id: str) -> ConsentRecord:
    """The consent `consent_id` if `person` may see it; otherwise 404 (no existence leak)."""
    record = await ports.consents.get(consent_id)
    if not await _may_act_on(ports, person, record):
        raise NotFound("Not found")
    return record


async def give_consent(
    ports: HouseholdPorts,
    person: str,
    *,
    subject: str,
    decision: Decision,
    scope: ConsentScope,
    valid_from: datetime | None,
    valid_until: datetime | None,
    audit: AuditFor,
) -> ConsentRecord:
    """Record a grant or refusal by `person` about `subject` (themselves or a child in
    their custody), given on the portal now."""
    if valid_from and valid_until and valid_until <= valid_from:
        raise InvalidValidity("`valid_until` must be after `valid_from`")
    now = datetime.now(UTC)
    return await ports.consents.record(
        NewConsent(
            subject=subject,
            given_by=person,
            decision=decision,
            scope=scope,
            recorded_via="portal",
            recorded_by=Actor("person", person=person),
            given_at=now,
            valid_from=valid_from or now,
            valid_until=valid_until,
            policy_version=ports.policies.version,
        ),
        audit=audit(subject, decision, "portal", "granted" if decision == "grant" else "refused"),
    )


async def withdraw_consent(
    ports: HouseholdPorts, person: str, consent_id: str, *, audit: AuditFor
) -> ConsentRecord:
    """Withdraw a visible consent; it is honoured on the very next request."""
    record = await visible_consent(ports, person, consent_id)
    if person != record.subject:
        # A parent's withdrawal counts only on custody the register stands behind now;
        # the portal has no BSN to re-read stale custody with, so that is refused.
        await require_fresh_custody(ports, record.subject, None)
    return await ports.consents.withdraw(
        record.id,
        actor=Actor("person", person=person),
        audit=audit(record.subject, record.decision, record.recorded_via, "withdrawn"),
    )


async def consent_receipts(
    ports: HouseholdPorts, person: str, consent_id: str
) -> ConsentReceipts:
    """The signed receipts of a visible consent (each a JWS anyone can verify)."""
    record = await visible_consent(ports, person, consent_id)
    return ConsentReceipts(record, tuple(await ports.consents.receipts(record.id)))


def _covers(wider: ConsentScope, narrower: ConsentScope) -> bool:
    """Whether a grant on `wider` speaks for everything `narrower` is about."""
    any_source = not wider.source_organisations and not wider.source_types
    return (
        narrower.purposes <= wider.purposes
        and narrower.categories <= wider.categories
        and narrower.recipient_organisations <= wider.recipient_organisations
        and narrower.recipient_types <= wider.recipient_types
        and wider.regions == narrower.regions
        and (
            any_source
            or (
                narrower.source_organisations <= wider.source_organisations
                and narrower.source_types <= wider.source_types
                and bool(narrower.source_organisations or narrower.source_types)
            )
        )
    )


def agreement(
    record: ConsentRecord,
    viewer: str,
    *,
    birth_date: date | None,
    custody_holders: Sequence[str],
    declarations: Sequence[ConsentRecord],
    rules: AgeRules,
    at: datetime | None = None,
) -> Agreement | None:
    """For a live grant about a child of 12 to 15 (the rule `child_and_custody_holders`):
    who has agreed and who must still agree, as seen by `viewer`. None otherwise."""
    at = at or datetime.now(UTC)
    if record.decision != "grant" or not record.in_force(at):
        return None
    need = requirement(record.subject, birth_date, custody_holders, at, rules)
    if need.rule != "child_and_custody_holders":
        return None
    agreeing = {
        other.given_by
        for other in declarations
        if other.subject == record.subject
        and other.decision == "grant"
        and other.in_force(at)
        and _covers(other.scope, record.scope)
    }
    agreed: list[Party] = []
    waiting: list[Party] = []
    for group in need.groups:
        if not group:  # nobody known who holds custody
            waiting.append("parent_with_custody")
            continue
        party = _party(sorted(group)[0], viewer, record.subject)
        (agreed if group & agreeing else waiting).append(party)
    return Agreement(tuple(agreed), tuple(waiting))


def _party(person: str, viewer: str, subject: str) -> Party:
    if person == viewer:
        return "you"
    if person == subject:
        return "your_child"
    if viewer == subject:
        return "parent_with_custody"
    return "other_custody_holder"
