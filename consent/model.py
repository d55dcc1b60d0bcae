"""Domain values of households and consent (frozen dataclasses; no I/O, no SQLAlchemy).

People are known only by keyed pseudonyms (`ps_...`); the gateway turns BSNs into
pseudonyms before anything reaches this package.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final, Literal

__all__ = [
    "CASE_REFERENCE",
    "CONSENT_EVENTS",
    "MEMBER_ROLES",
    "Actor",
    "Case",
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

#: A case reference: an organisation's own case number, 1-64 characters of letters,
#: digits and `-_./:`, starting with a letter or digit (no spaces, nothing free-form).
CASE_REFERENCE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")

Decision = Literal["grant", "refuse"]
Status = Literal["active", "refused", "withdrawn", "expired", "superseded"]
RecordedVia = Literal["portal", "paper"]
GiverRole = Literal["self", "custody_holder"]


@dataclass(frozen=True, slots=True)
class RequesterRef:
    """The organisation asking for data, and its region (consent to a type is regional)."""

    org_id: str
    org_type: str
    region: str = ""


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
    """Where a person stands now: their household, its regiehouder, their birth date,
    and the household's region (None if it was registered before regions were kept)."""

    household_id: str
    birth_date: date
    regiehouder: str
    region: str | None = None


@dataclass(frozen=True)
class SubjectState:
    """What the gateway knows of one subject at one moment, read once per exchange:
    the household they live in now (`summary`, None if not registered), their birth
    date, who holds custody of them, their live declarations and the open cases that
    cover them (`open_cases`: (organisation, reference) → case id)."""

    subject: str
    at: datetime
    summary: SubjectSummary | None
    birth_date: date | None
    custody_holders: frozenset[str]
    live: tuple[ConsentRecord, ...]
    open_cases: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # The oldest confirmation among the custody relations in force (datetime.min when one
    # was never confirmed; None when there are none): how fresh `custody_holders` is.
    custody_checked_at: datetime | None = None

    @property
    def region(self) -> str | None:
        return None if self.summary is None else self.summary.region

    def open_case(self, organisation: str, reference: str) -> str | None:
        """The id of `organisation`'s open case `reference` covering this subject, or None."""
        return self.open_cases.get((organisation, reference))


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
    region: str | None = None

    def members_at(self, at: datetime) -> tuple[Member, ...]:
        return tuple(m for m in self.members if _in_force(m.since, m.until, at))

    def custody_at(self, at: datetime) -> tuple[CustodyRelation, ...]:
        return tuple(c for c in self.custody if _in_force(c.since, c.until, at))


@dataclass(frozen=True, slots=True)
class ConsentScope:
    """What a consent is about. Empty source sets mean "from any source".

    A recipient *organisation* is that one organisation wherever it is. A recipient
    *type* means that type's organisations in `regions`, or, when `regions` is empty,
    in the household's region: consent to "the wijkteam" is consent to the family's
    own wijkteam, not to every wijkteam in the country.
    """

    purposes: frozenset[str]
    categories: frozenset[str]
    recipient_organisations: frozenset[str] = frozenset()
    recipient_types: frozenset[str] = frozenset()
    source_organisations: frozenset[str] = frozenset()
    source_types: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()

    def matches(
        self,
        purpose: str,
        category: str,
        requester: RequesterRef,
        source: SourceRef | None,
        household_region: str | None = None,
    ) -> bool:
        if purpose not in self.purposes or category not in self.categories:
            return False
        if requester.org_id not in self.recipient_organisations and not (
            requester.org_type in self.recipient_types
            and self._covers_region(requester.region, household_region)
        ):
            return False
        if not self.source_organisations and not self.source_types:
            return True
        if source is None:  # a consent limited to some sources cannot cover "any source"
            return False
        return source.org_id in self.source_organisations or source.org_type in self.source_types

    def _covers_region(self, region: str, household_region: str | None) -> bool:
        """Fail closed: an unknown region (the requester's or the household's) never matches."""
        if not region:
            return False
        if self.regions:
            return region in self.regions
        return household_region is not None and region == household_region

    def parties_json(self) -> dict[str, dict[str, list[str]]]:
        """Who may receive and which sources, as receipts and the API show them
        (`recipients.regions` only when the consent names regions)."""
        recipients = {
            "organisations": sorted(self.recipient_organisations),
            "types": sorted(self.recipient_types),
        }
        if self.regions:
            recipients["regions"] = sorted(self.regions)
        return {
            "recipients": recipients,
            "sources": {
                "organisations": sorted(self.source_organisations),
                "types": sorted(self.source_types),
            },
        }

    def key(self) -> str:
        """A canonical text of the scope: equal scopes give equal keys (for superseding).
        Regions are appended only when named, so keys of older consents stay as they were."""
        parts = (
            self.purposes,
            self.categories,
            self.recipient_organisations,
            self.recipient_types,
            self.source_organisations,
            self.source_types,
        )
        key = "|".join(",".join(sorted(p)) for p in parts)
        return key + "|regions=" + ",".join(sorted(self.regions)) if self.regions else key


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


@dataclass(frozen=True)
class Case:
    """An organisation's registered case: its reference, the people it covers, open or
    closed. A rule that needs a case reference holds only for an open case of the
    requester that covers the subject."""

    id: str
    organisation: str
    reference: str
    subjects: tuple[str, ...]
    status: Literal["open", "closed"]
    opened_at: datetime
    opened_by: Actor
    closed_at: datetime | None = None
    closed_by: Actor | None = None


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
