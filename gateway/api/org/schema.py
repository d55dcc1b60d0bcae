"""The bodies of the organisations' household, consent and case routes, declared once.

The OpenAPI document draws its schemas from these; answers are what the JSON views
write (`household_json`, `consent_json`, `receipt_json`, `case_json`), and the
integration tests convert real answers into these types, so a view and its
declaration cannot drift apart. Requests are decoded into their declarations
(`gateway.http.bodies.read_body`): the shape, and the code of a member that breaks it
(`__errors__`: `invalid_bsn` for a BSN that is not even a string, `unknown_organisation`
for an organisation that is not one; `__absent__`: the same codes for a required BSN or
organisation left out, as the routes answered before their declarations). What the
configuration decides (known purposes, categories, organisations, regions) and what a
type cannot say (text without control characters, a date in range, a BSN's elfproef)
the route checks after decoding, with the codes of `gateway.api.parsing`.

A member that may be left out but not sent as `null` (`given_by`, `withdrawn_by`,
`sources`, `contact_person.organisation`) defaults to `msgspec.UNSET`, so `null` stays
a fault.

Over 300 lines because three resources' bodies and their OpenAPI examples (the last
third) belong together: a field added to a declaration shows at once in its example.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import msgspec

from consent import MAX_CASE_SUBJECTS
from gateway.errors import GatewayError, InvalidBsn, UnknownOrganisation
from gateway.exchange.schema import Subject
from gateway.http.vocabulary import (
    EXAMPLE_BSN,
    Bsn,
    CaseReference,
    Category,
    Organisation,
    OrganisationType,
    Purpose,
    Time,
    component,
)

__all__ = [
    "Actor",
    "Case",
    "ChangedMember",
    "ConsentList",
    "ConsentReceipt",
    "ConsentWithdrawal",
    "ContactPerson",
    "Custody",
    "CustodyClaim",
    "Household",
    "HouseholdChange",
    "HouseholdEvent",
    "HouseholdRegistration",
    "HouseholdTransfer",
    "Member",
    "NewCase",
    "NewMember",
    "PaperConsent",
    "Parties",
    "PersonBsn",
    "ReceiptList",
    "Recipients",
    "bsn_of",
]

#: At most this many purposes, categories, organisations, types or regions in a consent.
MAX_NAMES = 50

Date = Annotated[str, msgspec.Meta(extra_json_schema={"format": "date"})]
Pseudonym = Annotated[str, msgspec.Meta(description="pseudonym")]
MemberRole = Annotated[
    Literal["parent", "child", "adult", "foster_parent", "other"], component("MemberRole")
]
ConsentDecision = Annotated[Literal["grant", "refuse"], component("ConsentDecision")]
ConsentStatus = Annotated[
    Literal["active", "refused", "withdrawn", "expired", "superseded"], component("ConsentStatus")
]
EventDetail = Annotated[dict[str, Any], component("EventDetail", "What the event changed")]
Change = Literal[
    "member_joined",
    "member_moved_out",
    "custody_granted",
    "custody_ended",
    "contact_person_changed",
]


class PersonBsn(msgspec.Struct, omit_defaults=True):
    bsn: Bsn


#: A person named by BSN: the bare string or `{"bsn": "..."}`.
PersonRef = Bsn | PersonBsn


def bsn_of(person: PersonRef | ChangedMember) -> str:
    """The BSN text of a person named by it or by an object holding it (its elfproef is
    the route's check)."""
    return person if isinstance(person, str) else person.bsn


def _bsn_errors(*members: str) -> dict[str, type[GatewayError]]:
    """`invalid_bsn` for each `PersonRef` member that is not a BSN text or `{"bsn": text}`."""
    return {path: InvalidBsn for member in members for path in (member, f"{member}.bsn")}


class Actor(msgspec.Struct, omit_defaults=True):
    """Who did it: `kind` (professional, person, system) and whichever ids apply."""

    kind: str
    organisation: str | None = None
    professional: str | None = None
    person: str | None = None


class ContactPerson(msgspec.Struct, omit_defaults=True):
    professional: Annotated[str, msgspec.Meta(max_length=128)]
    organisation: Organisation | msgspec.UnsetType = msgspec.UNSET


class NewMember(msgspec.Struct, omit_defaults=True):
    bsn: Bsn
    birth_date: Date
    role: MemberRole


class ChangedMember(msgspec.Struct, omit_defaults=True):
    """The member who joins (all three) or moves out (`bsn` only)."""

    bsn: Bsn
    birth_date: Date | None = None
    role: MemberRole | None = None


class CustodyClaim(msgspec.Struct, omit_defaults=True):
    parent: PersonRef
    child: PersonRef


class HouseholdRegistration(msgspec.Struct, omit_defaults=True):
    """Register a household; the caller becomes its regiehouder."""

    __errors__: ClassVar[dict[str, type[GatewayError]]] = {
        "$.members[].bsn": InvalidBsn,
        **_bsn_errors("$.custody[].parent", "$.custody[].child"),
        "$.contact_person.organisation": UnknownOrganisation,
    }
    __absent__: ClassVar[dict[str, type[GatewayError]]] = {
        "$.members[].bsn": InvalidBsn,
        "$.custody[].parent": InvalidBsn,
        "$.custody[].child": InvalidBsn,
    }

    members: Annotated[list[NewMember], msgspec.Meta(min_length=1, max_length=30)]
    contact_person: ContactPerson
    custody: list[CustodyClaim] = []


class HouseholdChange(msgspec.Struct, omit_defaults=True):
    """A member joins or moves out, custody is granted or ends, the contact person changes."""

    __errors__: ClassVar[dict[str, type[GatewayError]]] = {
        **_bsn_errors("$.member", "$.parent", "$.child"),
        "$.contact_person.organisation": UnknownOrganisation,
    }

    change: Annotated[Change, component("HouseholdChangeKind")]
    at: Time | None = None
    member: ChangedMember | Bsn | None = None
    parent: PersonRef | None = None
    child: PersonRef | None = None
    contact_person: ContactPerson | None = None


class HouseholdTransfer(msgspec.Struct, omit_defaults=True):
    __errors__: ClassVar[dict[str, type[GatewayError]]] = {
        "$.to": UnknownOrganisation,
        "$.contact_person.organisation": UnknownOrganisation,
    }
    __absent__: ClassVar[dict[str, type[GatewayError]]] = {"$.to": UnknownOrganisation}

    to: Annotated[Organisation, msgspec.Meta(description="The new regiehouder")]
    contact_person: Annotated[
        ContactPerson,
        msgspec.Meta(description="The new fixed contact person (organisation defaults to `to`)"),
    ]


class Member(msgspec.Struct, omit_defaults=True):
    person: Pseudonym
    birth_date: Date
    role: str
    since: Time
    until: Time | None
    current: bool


class Custody(msgspec.Struct, omit_defaults=True):
    parent: Pseudonym
    child: Pseudonym
    since: Time
    until: Time | None
    confirmed_at: Annotated[
        Time | None, msgspec.Meta(description="When the custody register last confirmed it")
    ]


class HouseholdEvent(msgspec.Struct, omit_defaults=True):
    event: str
    at: Time
    actor: Actor
    detail: EventDetail


class Household(msgspec.Struct, omit_defaults=True):
    """A household: members, custody and full history, pseudonyms only."""

    id: str
    regiehouder: Organisation
    region: Annotated[
        str | None,
        msgspec.Meta(
            description="The regiehouder's region at registration (where consent to an "
            "organisation type counts)"
        ),
    ]
    contact_person: ContactPerson
    created_at: Time
    members: list[Member]
    custody: list[Custody]
    history: list[HouseholdEvent]


class Parties(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    organisations: Annotated[list[Organisation], msgspec.Meta(max_length=MAX_NAMES)] = []
    types: Annotated[list[OrganisationType], msgspec.Meta(max_length=MAX_NAMES)] = []


class Recipients(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    organisations: list[Organisation] = []
    types: list[OrganisationType] = []
    regions: Annotated[
        list[str],
        msgspec.Meta(
            description="Regions where `recipients.types` count; without it, the household's "
            "region only. Each must be the region of a configured organisation."
        ),
    ] = []


#: The scope members a consent body shares, paper (`PaperConsent`) or portal
#: (`gateway.api.me.schema.PortalConsent`), declared once.
ConsentPurposes = Annotated[list[Purpose], msgspec.Meta(min_length=1, max_length=MAX_NAMES)]
ConsentCategories = Annotated[list[Category], msgspec.Meta(min_length=1, max_length=MAX_NAMES)]
ConsentRecipients = Annotated[
    Parties, msgspec.Meta(description="At least one organisation or organisation type")
]
ConsentRegions = Annotated[
    list[str],
    msgspec.Meta(
        max_length=MAX_NAMES,
        description="Regions where `recipients.types` count; without it, the household's "
        "region only. Each must be the region of a configured organisation.",
    ),
]


class PaperConsent(msgspec.Struct, omit_defaults=True):
    """A consent or refusal given on paper, recorded by a professional."""

    __errors__: ClassVar[dict[str, type[GatewayError]]] = _bsn_errors("$.subject", "$.given_by")
    __absent__: ClassVar[dict[str, type[GatewayError]]] = {"$.subject": InvalidBsn}

    subject: PersonRef
    purposes: ConsentPurposes
    categories: ConsentCategories
    recipients: ConsentRecipients
    evidence_reference: Annotated[str, msgspec.Meta(max_length=200)]
    given_by: Annotated[
        PersonRef | msgspec.UnsetType,
        msgspec.Meta(description="Who gave it, if not the subject: a custody holder"),
    ] = msgspec.UNSET
    decision: ConsentDecision = "grant"
    sources: Parties | msgspec.UnsetType = msgspec.UNSET
    regions: ConsentRegions = []
    given_at: Time | None = None
    valid_from: Time | None = None
    valid_until: Time | None = None


class ConsentWithdrawal(msgspec.Struct, omit_defaults=True):
    __errors__: ClassVar[dict[str, type[GatewayError]]] = _bsn_errors("$.withdrawn_by", "$.subject")

    evidence_reference: Annotated[str, msgspec.Meta(max_length=200)]
    withdrawn_by: Annotated[
        PersonRef | msgspec.UnsetType,
        msgspec.Meta(
            description="Who withdraws on paper: the person the consent is about or a custody "
            "holder of that person. Without it, only the organisation that recorded the "
            "consent may withdraw it."
        ),
    ] = msgspec.UNSET
    subject: Annotated[
        PersonRef | None,
        msgspec.Meta(
            description="The person the consent is about. Needed when a custody holder "
            "withdraws and their custody is older than the freshness: the register is asked "
            "again (without it: 422 `custody_not_confirmed`)."
        ),
    ] = None


class GivenBy(msgspec.Struct, omit_defaults=True):
    person: Pseudonym
    role: Literal["self", "custody_holder"]


class ConsentEvent(msgspec.Struct, omit_defaults=True):
    event: Annotated[
        Literal["granted", "refused", "withdrawn", "expired", "superseded"],
        component("ConsentEventKind"),
    ]
    at: Time
    actor: Actor
    detail: EventDetail


class Consent(msgspec.Struct, omit_defaults=True):
    """A consent or refusal with its history."""

    id: str
    subject: Pseudonym
    given_by: GivenBy
    decision: ConsentDecision
    status: ConsentStatus
    purposes: list[Purpose]
    categories: list[Category]
    recipients: Recipients
    sources: Parties
    given_at: Time
    valid_from: Time
    valid_until: Time | None
    withdrawn_at: Time | None
    superseded_by: str | None
    recorded_via: Literal["portal", "paper"]
    recorded_by: Actor
    evidence_reference: str | None
    policy_version: str
    history: list[ConsentEvent]


class ConsentList(msgspec.Struct, omit_defaults=True):
    subject: Pseudonym
    consents: list[Consent]


class ConsentReceipt(msgspec.Struct, omit_defaults=True):
    id: str
    consent_id: str
    event: str
    issued_at: Time
    jws: Annotated[
        str, msgspec.Meta(description="Compact JWS (EdDSA); verify with /.well-known/jwks.json")
    ]


class ReceiptList(msgspec.Struct, omit_defaults=True):
    consent_id: str
    receipts: list[ConsentReceipt]


class NewCase(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    """A case: the organisation's own reference and the people it covers."""

    __errors__: ClassVar[dict[str, type[GatewayError]]] = {"$.subjects[].bsn": InvalidBsn}

    reference: Annotated[
        CaseReference,
        msgspec.Meta(description="The organisation's own case number; one open case per reference"),
    ]
    subjects: Annotated[list[Subject], msgspec.Meta(min_length=1, max_length=MAX_CASE_SUBJECTS)]


class Case(msgspec.Struct, omit_defaults=True):
    id: str
    organisation: Organisation
    reference: str
    status: Literal["open", "closed"]
    subjects: list[Pseudonym]
    opened_at: Time
    opened_by: Actor
    closed_at: Time | None
    closed_by: Actor | None


_ACTOR = Actor("professional", organisation="wijkteam-utrecht", professional="prof-0042")
EXAMPLE_REGISTRATION = HouseholdRegistration(
    members=[NewMember(bsn=EXAMPLE_BSN, birth_date="1990-04-01", role="parent")],
    contact_person=ContactPerson(professional="prof-0042"),
)
EXAMPLE_HOUSEHOLD = Household(
    id="hh_5d2c1b0a",
    regiehouder="wijkteam-utrecht",
    region="utrecht",
    contact_person=ContactPerson(professional="prof-0042", organisation="wijkteam-utrecht"),
    created_at="2026-01-05T09:00:00+00:00",
    members=[
        Member(
            person="ps_3b1f0c0d9a4e2b7c6d5e4f3a2b1c0d9e8f7a6b5c",
            birth_date="1990-04-01",
            role="parent",
            since="2026-01-05T09:00:00+00:00",
            until=None,
            current=True,
        )
    ],
    custody=[],
    history=[
        HouseholdEvent(event="registered", at="2026-01-05T09:00:00+00:00", actor=_ACTOR, detail={})
    ],
)
EXAMPLE_CHANGE = HouseholdChange(
    change="contact_person_changed", contact_person=ContactPerson(professional="prof-0043")
)
EXAMPLE_TRANSFER = HouseholdTransfer(
    to="veilig-thuis-utrecht", contact_person=ContactPerson(professional="vt-0007")
)
EXAMPLE_PAPER_CONSENT = PaperConsent(
    subject=EXAMPLE_BSN,
    purposes=["support_planning"],
    categories=["support_plan"],
    recipients=Parties(organisations=["wijkteam-utrecht"]),
    evidence_reference="paper-form-2026-0001",
)
EXAMPLE_CONSENT = Consent(
    id="c_7a6b5c4d",
    subject="ps_3b1f0c0d9a4e2b7c6d5e4f3a2b1c0d9e8f7a6b5c",
    given_by=GivenBy(person="ps_3b1f0c0d9a4e2b7c6d5e4f3a2b1c0d9e8f7a6b5c", role="self"),
    decision="grant",
    status="active",
    purposes=["support_planning"],
    categories=["support_plan"],
    recipients=Recipients(organisations=["wijkteam-utrecht"]),
    sources=Parties(),
    given_at="2026-01-05T09:00:00+00:00",
    valid_from="2026-01-05T09:00:00+00:00",
    valid_until=None,
    withdrawn_at=None,
    superseded_by=None,
    recorded_via="paper",
    recorded_by=_ACTOR,
    evidence_reference="paper-form-2026-0001",
    policy_version="2026.1",
    history=[
        ConsentEvent(event="granted", at="2026-01-05T09:00:00+00:00", actor=_ACTOR, detail={})
    ],
)
EXAMPLE_WITHDRAWAL = ConsentWithdrawal(evidence_reference="paper-form-2026-0002")
EXAMPLE_RECEIPTS = ReceiptList(
    consent_id="c_7a6b5c4d",
    receipts=[
        ConsentReceipt(
            id="r_1a2b3c4d",
            consent_id="c_7a6b5c4d",
            event="granted",
            issued_at="2026-01-05T09:00:00+00:00",
            jws="eyJhbGciOiJFZERTQSJ9.e30.c2lnbmF0dXJl",
        )
    ],
)
EXAMPLE_NEW_CASE = NewCase(reference="zaak-2026-0001", subjects=[Subject(bsn=EXAMPLE_BSN)])
EXAMPLE_CASE = Case(
    id="case_4e3d2c1b",
    organisation="wijkteam-utrecht",
    reference="zaak-2026-0001",
    status="open",
    subjects=["ps_3b1f0c0d9a4e2b7c6d5e4f3a2b1c0d9e8f7a6b5c"],
    opened_at="2026-01-05T09:00:00+00:00",
    opened_by=_ACTOR,
    closed_at=None,
    closed_by=None,
)


class Labels(msgspec.Struct, frozen=True):
    """A vocabulary entry's words in Dutch and English."""

    nl: str
    en: str


class VocabularyPurpose(msgspec.Struct, frozen=True):
    id: Purpose
    label: Labels
    break_glass: bool
    aggregates_only: bool


class VocabularyCategory(msgspec.Struct, frozen=True):
    id: Category
    label: Labels
    sensitivity: Literal["normal", "special", "criminal", "restricted"]


class VocabularyRole(msgspec.Struct, frozen=True):
    id: str
    label: Labels


class VocabularyOrganisationType(msgspec.Struct, frozen=True, omit_defaults=True):
    """An organisation type; `roles` only for the caller's own type (another type's
    roles are that type's business)."""

    id: OrganisationType
    label: Labels
    roles: list[VocabularyRole] | None = None


class VocabularyOrganisation(msgspec.Struct, frozen=True):
    """A registered organisation as anyone may see it; `source`: it has a source system
    (a value for an exchange's `sources`)."""

    id: Organisation
    type: OrganisationType
    name: str
    region: str
    source: bool


class VocabularyLegalBasis(msgspec.Struct, frozen=True):
    id: str
    label: Labels
    article: str


class VocabularyAnswer(msgspec.Struct, frozen=True):
    """Every value the caller may send, with labels (`GET /api/v1/vocabulary`)."""

    policy_version: str
    organisation: Organisation
    organisation_type: OrganisationType
    roles: Annotated[
        list[VocabularyRole],
        msgspec.Meta(description="The roles the caller's organisation may put in `role`"),
    ]
    purposes: list[VocabularyPurpose]
    categories: list[VocabularyCategory]
    organisation_types: list[VocabularyOrganisationType]
    organisations: list[VocabularyOrganisation]
    legal_bases: list[VocabularyLegalBasis]


EXAMPLE_VOCABULARY = VocabularyAnswer(
    policy_version="2026.1",
    organisation="wijkteam-utrecht",
    organisation_type="wijkteam",
    roles=[VocabularyRole("hulpverlener", Labels("Hulpverlener", "Social worker"))],
    purposes=[
        VocabularyPurpose(
            "support_planning", Labels("Hulpverlening plannen", "Support planning"), False, False
        )
    ],
    categories=[
        VocabularyCategory(
            "contact_details", Labels("Contactgegevens", "Contact details"), "normal"
        )
    ],
    organisation_types=[
        VocabularyOrganisationType(
            "wijkteam",
            Labels("Wijkteam", "Local team"),
            [VocabularyRole("hulpverlener", Labels("Hulpverlener", "Social worker"))],
        ),
        VocabularyOrganisationType("gi", Labels("Gecertificeerde instelling", "GI")),
    ],
    organisations=[
        VocabularyOrganisation("wijkteam-utrecht", "wijkteam", "Wijkteam Utrecht", "utrecht", True)
    ],
    legal_bases=[
        VocabularyLegalBasis("consent", Labels("Toestemming", "Consent"), "AVG art. 6(1)(a)")
    ],
)
