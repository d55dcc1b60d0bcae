"""Domain values of households and consent (frozen dataclasses; no I/O, no SQLAlchemy).

People are known only by keyed pseudonyms (`ps_...`); the gateway turns BSNs into
pseudonyms before anything reaches this package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final, Literal

__all__ = [
    "CONSENT_EVENTS",
    "MEMBER_ROLES",
    "Actor",
    "ConsentEvent",
    "ConsentRecord",
    "ConsentScope",
    "Coverage",
    "CustodyRelation",
    "Decision",
    "GiverRole",
    "Household",
    "HouseholdEvent",
    "Member",
    "NewConsent",
    "NewMember",
    "Notification",
    "RecordedVia",
    "RequesterRef",
    "SourceRef",
    "Status",
]

MEMBER_ROLES: Final[frozenset[str]] = frozenset(
    {"parent", "child", "adult", "foster_parent", "other"}
)
CONSENT_EVENTS: Final[tuple[str, ...]] = (
    "granted",
    "refused",
    "withdrawn",
    "expired",
    "superseded",
)

Decision = Literal["grant", "refuse"]
Status = Literal["active", "refused", "withdrawn", "expired", "superseded"]
RecordedVia = Literal["portal", "paper"]
GiverRole = Literal["self", "custody_holder"]


@dataclass(frozen=True, slots=True)
class RequesterRef:
    """The organisation asking for data."""

    org_id: str
    org_type: str


@dataclass(frozen=True, slots=True)
class SourceRef:
    """The organisation whose system holds the data."""

    org_id: str
    org_type: str


@dataclass(frozen=True, slots=True)
class Actor:
    """Who recorded or changed something: a professional of an organisation, or a
    household member on the portal (`person` is then their pseudonym)."""

    kind: Literal["professional", "person", "system"]
    organisation: str | None = None
    professional: str | None = None
    person: str | None = None

    def as_dict(self) -> dict[str, str]:
        out: dict[str, str] = {"kind": self.kind}
        for key in ("organisation", "professional", "person"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True, slots=True)
class NewMember:
    person: str
    birth_date: date
    role: str


@dataclass(frozen=True, slots=True)
class Member:
    person: str
    birth_date: date
    role: str
    since: datetime
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class CustodyRelation:
    parent: str
    child: str
    since: datetime
    until: datetime | None = None
    confirmed_at: datetime | None = None  # last confirmed by the custody register


@dataclass(frozen=True, slots=True)
class HouseholdEvent:
    event: str
    at: datetime
    actor: Actor
    detail: dict[str, str]


@dataclass(frozen=True, slots=True)
class SubjectSummary:
    """Where a person stands now: their household, its regiehouder, their birth date."""

    household_id: str
    birth_date: date
    regiehouder: str


@dataclass(frozen=True)
class SubjectState:
    """What the gateway knows of one subject at one moment, read once per exchange:
    the household they live in now (`summary`, None if not registered), their birth
    date, who holds custody of them and their live declarations."""

    subject: str
    at: datetime
    summary: SubjectSummary | None
    birth_date: date | None
    custody_holders: frozenset[str]
    live: tuple[ConsentRecord, ...]
    # The oldest confirmation among the custody relations in force (datetime.min when one
    # was never confirmed; None when there are none): how fresh `custody_holders` is.
    custody_checked_at: datetime | None = None


@dataclass(frozen=True)
class Household:
    """A household with its whole history: ended memberships and custody stay, closed."""

    id: str
    regiehouder: str
    contact_organisation: str
    contact_professional: str
    created_at: datetime
    members: tuple[Member, ...]
    custody: tuple[CustodyRelation, ...]
    events: tuple[HouseholdEvent, ...] = ()

    def members_at(self, at: datetime) -> tuple[Member, ...]:
        return tuple(m for m in self.members if _in_force(m.since, m.until, at))

    def custody_at(self, at: datetime) -> tuple[CustodyRelation, ...]:
        return tuple(c for c in self.custody if _in_force(c.since, c.until, at))


@dataclass(frozen=True, slots=True)
class ConsentScope:
    """What a consent is about. Empty source sets mean "from any source"."""

    purposes: frozenset[str]
    categories: frozenset[str]
    recipient_organisations: frozenset[str] = frozenset()
    recipient_types: frozenset[str] = frozenset()
    source_organisations: frozenset[str] = frozenset()
    source_types: frozenset[str] = frozenset()

    def matches(
        self, purpose: str, category: str, requester: RequesterRef, source: SourceRef | None
    ) -> bool:
        if purpose not in self.purposes or category not in self.categories:
            return False
        if (
            requester.org_id not in self.recipient_organisations
            and requester.org_type not in self.recipient_types
        ):
            return False
        if not self.source_organisations and not self.source_types:
            return True
        if source is None:  # a consent limited to some sources cannot cover "any source"
            return False
        return source.org_id in self.source_organisations or source.org_type in self.source_types

    def parties_json(self) -> dict[str, dict[str, list[str]]]:
        """Who may receive and which sources, as receipts and the API show them."""
        return {
            "recipients": {
                "organisations": sorted(self.recipient_organisations),
                "types": sorted(self.recipient_types),
            },
            "sources": {
                "organisations": sorted(self.source_organisations),
                "types": sorted(self.source_types),
            },
        }

    def key(self) -> str:
        """A canonical text of the scope: equal scopes give equal keys (for superseding)."""
        parts = (
            self.purposes,
            self.categories,
            self.recipient_organisations,
            self.recipient_types,
            self.source_organisations,
            self.source_types,
        )
        return "|".join(",".join(sorted(p)) for p in parts)


@dataclass(frozen=True, slots=True)
class NewConsent:
    """A consent (or refusal) to record. `given_by` is the subject or a parent."""

    subject: str
    given_by: str
    decision: Decision
    scope: ConsentScope
    recorded_via: RecordedVia
    recorded_by: Actor
    given_at: datetime
    valid_from: datetime
    valid_until: datetime | None = None
    evidence_reference: str | None = None
    policy_version: str = ""


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    event: str
    at: datetime
    actor: Actor
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ConsentRecord:
    id: str
    subject: str
    given_by: str
    giver_role: GiverRole
    decision: Decision
    status: Status
    scope: ConsentScope
    recorded_via: RecordedVia
    recorded_by: Actor
    given_at: datetime
    valid_from: datetime
    valid_until: datetime | None
    evidence_reference: str | None
    policy_version: str
    withdrawn_at: datetime | None = None
    superseded_by: str | None = None
    events: tuple[ConsentEvent, ...] = ()

    def status_at(self, at: datetime) -> Status:
        """The stored status, with `expired` once valid_until has passed."""
        live = self.status in ("active", "refused")
        if live and self.valid_until is not None and at >= self.valid_until:
            return "expired"
        return self.status

    def in_force(self, at: datetime) -> bool:
        """Whether this declaration (grant or refusal) speaks at `at`."""
        if self.status not in ("active", "refused"):
            return False
        return _in_force(self.valid_from, self.valid_until, at)


@dataclass(frozen=True, slots=True)
class Coverage:
    """The consent check's answer.

    `missing` names the pseudonyms of the people who must still consent; when the
    people are not known (a child without a registered custody holder) it holds the
    role label `custody_holder`. `rule` says which age rule applied: `self`,
    `custody_holders`, `child_and_custody_holders` or `not_registered`.
    """

    ok: bool
    consent_ids: tuple[str, ...]
    missing: tuple[str, ...]
    rule: str = ""


@dataclass(frozen=True, slots=True)
class Notification:
    id: str
    person: str
    consent_id: str
    event: str
    created_at: datetime
    actor: Actor


def _in_force(since: datetime, until: datetime | None, at: datetime) -> bool:
    return since <= at and (until is None or at < until)
