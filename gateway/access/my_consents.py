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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Literal

from consent import (
    Actor,
    AgeRules,
    ConsentRecord,
    ConsentScope,
    Household,
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
    from gateway.auth.organisations import Organisation

__all__ = [
    "Agreement",
    "AuditFor",
    "ConsentReceipts",
    "MyConsents",
    "Party",
    "PurposeChoice",
    "agreement",
    "consent_choices",
    "consent_receipts",
    "give_consent",
    "my_consents",
    "relation",
    "visible_consent",
    "withdraw_consent",
]

#: Builds the audit step of one write: (subject, decision, recorded_via, event) → step.
AuditFor = Callable[[str, str, str, str], "AuditStep"]

#: Where someone stands towards the viewer: themselves, their child (in their custody),
#: their parent, the other parent, another member of the household, or someone else.
Party = Literal[
    "you", "your_child", "your_parent", "other_parent", "household_member", "someone_else"
]


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


async def consent_receipts(ports: HouseholdPorts, person: str, consent_id: str) -> ConsentReceipts:
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


def relation(person: str, viewer: str, household: Household | None, at: datetime) -> Party:
    """Where `person` stands towards `viewer` in `viewer`'s household, as the portal says
    it ("you", "your child", "your parent"): never a pseudonym on a page."""
    if person == viewer:
        return "you"
    if household is None:
        return "someone_else"
    custody = {(c.parent, c.child) for c in household.custody_at(at)}
    if (viewer, person) in custody:
        return "your_child"
    if (person, viewer) in custody:
        return "your_parent"
    roles = {m.person: m.role for m in household.members_at(at)}
    if person not in roles:
        return "someone_else"
    if roles[person] in _PARENT_ROLES:
        return "your_parent" if roles.get(viewer) == "child" else "other_parent"
    return "household_member"


def agreement(
    record: ConsentRecord,
    viewer: str,
    *,
    household: Household | None,
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
            waiting.append("your_parent" if viewer == record.subject else "other_parent")
            continue
        party = relation(sorted(group)[0], viewer, household, at)
        (agreed if group & agreeing else waiting).append(party)
    return Agreement(tuple(agreed), tuple(waiting))


@dataclass(frozen=True, slots=True)
class PurposeChoice:
    """What a household member may consent to for one purpose: the organisations (of
    the types whose rules need consent for it) and, per type, the categories."""

    purpose: str
    organisations: tuple[Organisation, ...]
    categories_by_type: Mapping[str, frozenset[str]]

    @property
    def categories(self) -> frozenset[str]:
        return frozenset().union(*self.categories_by_type.values())


def consent_choices(ports: HouseholdPorts) -> tuple[PurposeChoice, ...]:
    """What the rules in force let a person consent to: every permit rule that needs
    consent, by purpose, requester type and category (a `*` category: every category of
    sensitivity `normal`), with the configured organisations of those types."""
    vocabulary = ports.vocabulary
    normal = frozenset(c for c, v in vocabulary.categories.items() if v.sensitivity == "normal")
    found: dict[str, dict[str, set[str]]] = {}
    for rule in ports.policies.policy_set.rules:
        if rule.effect != "permit" or not rule.consent_required:
            continue
        categories = normal if "*" in rule.categories else rule.categories
        types = (
            set(vocabulary.organisation_types)
            if "*" in rule.requester_types
            else rule.requester_types & set(vocabulary.organisation_types)
        )
        for purpose in rule.purposes:
            for org_type in types:
                found.setdefault(purpose, {}).setdefault(org_type, set()).update(categories)
    choices = []
    for purpose in sorted(found):
        by_type = {t: frozenset(c) for t, c in found[purpose].items()}
        organisations = tuple(
            sorted((o for o in ports.organisations if o.type in by_type), key=lambda o: o.name)
        )
        if organisations:
            choices.append(PurposeChoice(purpose, organisations, by_type))
    return tuple(choices)


_PARENT_ROLES = frozenset({"parent", "foster_parent"})
