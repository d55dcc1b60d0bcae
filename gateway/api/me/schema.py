"""The bodies of the household's own routes (`/api/v1/me`), declared once (see
`gateway.api.org.schema`; a consent reads the same through both doors).

Over 300 lines because the portal's answers (consents, dossier, access log, export) and
their examples are one vocabulary; split, the shared pieces would be imported back and forth.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from gateway.api.org.schema import (
    EXAMPLE_CONSENT,
    Actor,
    Consent,
    ConsentCategories,
    ConsentDecision,
    ConsentPurposes,
    ConsentRecipients,
    ConsentRegions,
    Parties,
)
from gateway.exchange.schema import Decision, Record
from gateway.http.vocabulary import Category, LegalBasis, Organisation, Role, Time

__all__ = [
    "EXAMPLE_MY_ACCESS_LOG",
    "EXAMPLE_MY_CONSENTS",
    "EXAMPLE_MY_DOSSIER",
    "EXAMPLE_MY_EXPORT",
    "EXAMPLE_PORTAL_CONSENT",
    "AccessEntry",
    "AccessWho",
    "BreakGlassStatus",
    "DossierCategory",
    "DossierOrganisation",
    "DossierPerson",
    "ExportDocument",
    "Label",
    "LabelledCode",
    "LegalBasisView",
    "MyAccessLog",
    "MyConsents",
    "MyDossier",
    "MyExport",
    "Notification",
    "OrganisationSummary",
    "PortalConsent",
    "VisiblePerson",
]


class PortalConsent(msgspec.Struct, omit_defaults=True):
    """A consent or refusal the person gives in the portal, for themselves or a child."""

    purposes: ConsentPurposes
    categories: ConsentCategories
    recipients: ConsentRecipients
    subject: (
        Annotated[str, msgspec.Meta(max_length=64, description="pseudonym (`ps_...`)")]
        | msgspec.UnsetType
    ) = msgspec.UNSET  # default: myself
    decision: ConsentDecision = "grant"
    sources: Parties | msgspec.UnsetType = msgspec.UNSET
    regions: ConsentRegions = []
    valid_from: Time | None = None
    valid_until: Time | None = None


class Notification(msgspec.Struct, omit_defaults=True):
    id: str
    consent_id: str
    event: str
    created_at: Time
    actor: Actor


class MyConsents(msgspec.Struct, omit_defaults=True):
    """My consents and refusals, my children's, and notifications about them."""

    person: str
    consents: list[Consent]
    notifications: list[Notification]


EXAMPLE_PORTAL_CONSENT = PortalConsent(
    purposes=["support_planning"],
    categories=["support_plan"],
    recipients=Parties(organisations=["wijkteam-utrecht"]),
)
EXAMPLE_MY_CONSENTS = MyConsents(
    person=EXAMPLE_CONSENT.subject, consents=[EXAMPLE_CONSENT], notifications=[]
)


# -- Mijn dossier, Wie heeft mijn gegevens bekeken, Mijn gegevens downloaden -----------

Relation = Annotated[
    Literal["self", "child"], msgspec.Meta(description="Myself, or a child in my custody")
]


class Label(msgspec.Struct):
    """Plain words in Dutch (B1) and English."""

    nl: str
    en: str


class OrganisationSummary(msgspec.Struct):
    """What may be shown about an organisation."""

    id: Organisation
    type: str
    name: str
    region: str


class LegalBasisView(msgspec.Struct, omit_defaults=True):
    """A legal basis in plain words, with its AVG article (and the rule's statute)."""

    code: LegalBasis
    label: Label
    article: str
    statutory_reference: str | None = None


class DossierCategory(msgspec.Struct):
    category: Category
    label: Label
    records: list[Record]
    legal_basis: LegalBasisView | None
    statutory_reference: str | None


class DossierOrganisation(msgspec.Struct):
    organisation: OrganisationSummary
    categories: list[DossierCategory]


class DossierPerson(msgspec.Struct):
    """What the organisations hold about one person I may see, fetched live."""

    person: str
    relation: Relation
    available: Annotated[
        bool, msgspec.Meta(description="false: the sources could not be asked (no BSN known)")
    ]
    exchange_id: str | None
    organisations: list[DossierOrganisation]
    unavailable_sources: list[OrganisationSummary]
    age: Annotated[int | None, msgspec.Meta(description="Age today (the age rules' calendar)")] = (
        None
    )


class MyDossier(msgspec.Struct):
    """My dossier and my young children's, one live exchange (`client_access`) each."""

    person: str
    generated_at: Time
    people: list[DossierPerson]


class LabelledCode(msgspec.Struct):
    code: str
    label: Label


class AccessWho(msgspec.Struct, omit_defaults=True):
    """Who looked: an organisation's professional (by role), me, or a household member."""

    kind: Literal["organisation", "you", "household_member", "gateway"]
    role: Role | None = None


class BreakGlassStatus(msgspec.Struct):
    review_status: Literal["pending", "reviewed"]
    verdict: str | None


class AccessEntry(msgspec.Struct):
    """One entry of my access log, in plain words."""

    seq: int
    time: Time
    event_type: str
    what: Label | None
    about: Relation
    subject: str | None
    who: AccessWho
    organisation: OrganisationSummary | None
    purpose: LabelledCode | None
    category: LabelledCode | None
    source: OrganisationSummary | None
    legal_basis: LegalBasisView | None
    decision: Decision | None
    permitted: bool
    break_glass: BreakGlassStatus | None
    new: Annotated[bool, msgspec.Meta(description="Newer than my previous visit, not my own")]


class VisiblePerson(msgspec.Struct):
    person: str
    relation: Relation
    age: int | None = None


class MyAccessLog(msgspec.Struct):
    """One page of my access log, newest first."""

    person: str
    people: list[VisiblePerson]
    previous_visit_at: Time | None
    withheld_notice: Annotated[
        Label, msgspec.Meta(description="Always present: entries can be withheld by law, and why")
    ]
    entries: list[AccessEntry]
    next_cursor: str | None


class ExportDocument(msgspec.Struct):
    """My data (AVG art. 15 and 20): dossier, access log and consents."""

    format: Literal["gateway-household-export/1"]
    person: str
    generated_at: Time
    dossier: list[DossierPerson]
    access_log: list[AccessEntry]
    access_log_complete: bool
    withheld_notice: Label
    consents: list[Consent]


class MyExport(msgspec.Struct):
    """The export and the gateway's signature over it."""

    export: ExportDocument
    jws: Annotated[
        str,
        msgspec.Meta(
            description="Compact JWS (EdDSA, typ household-export+jwt, kid of a key in "
            "/.well-known/jwks.json); its payload holds iss, sub, iat and `export`"
        ),
    ]


_WIJKTEAM = OrganisationSummary("wijkteam-utrecht", "wijkteam", "Wijkteam Utrecht", "utrecht")
_ME = EXAMPLE_CONSENT.subject
_OWN_DOSSIER = DossierPerson(
    person=_ME,
    relation="self",
    available=True,
    exchange_id="ex_4b2e9c0d1a2b3c4d5e6f7a8b",
    organisations=[
        DossierOrganisation(
            organisation=_WIJKTEAM,
            categories=[
                DossierCategory(
                    category="support_plan",
                    label=Label(
                        "Het plan met de hulp die het gezin krijgt",
                        "The plan with the support the family receives",
                    ),
                    records=[{"goal": "Rust in huis"}],
                    legal_basis=LegalBasisView(
                        "legal_obligation",
                        Label("Wettelijke plicht", "Legal obligation"),
                        "AVG art. 6 lid 1 sub c",
                    ),
                    statutory_reference="AVG art. 15",
                )
            ],
        )
    ],
    unavailable_sources=[],
)
EXAMPLE_MY_DOSSIER = MyDossier(
    person=_ME, generated_at="2026-12-02T09:00:00+00:00", people=[_OWN_DOSSIER]
)
_NOTICE = Label(
    "Soms mag een organisatie u nog niet laten weten dat zij uw gegevens heeft bekeken. …",
    "Sometimes an organisation may not yet tell you that it looked at your data. …",
)
_ENTRY = AccessEntry(
    seq=1042,
    time="2026-12-01T10:15:00.123456+00:00",
    event_type="exchange.decision",
    what=None,
    about="self",
    subject=_ME,
    who=AccessWho("organisation", "hulpverlener"),
    organisation=_WIJKTEAM,
    purpose=LabelledCode("support_planning", Label("Hulp plannen", "Support planning")),
    category=LabelledCode("support_plan", Label("Het plan met de hulp", "The support plan")),
    source=None,
    legal_basis=LegalBasisView(
        "consent",
        Label("Toestemming van de betrokkene", "Consent of the person concerned"),
        "AVG art. 6 lid 1 sub a",
        "Jeugdwet art. 7.3.8",
    ),
    decision="permit",
    permitted=True,
    break_glass=None,
    new=True,
)
EXAMPLE_MY_ACCESS_LOG = MyAccessLog(
    person=_ME,
    people=[VisiblePerson(_ME, "self")],
    previous_visit_at="2026-11-30T18:00:00+00:00",
    withheld_notice=_NOTICE,
    entries=[_ENTRY],
    next_cursor=None,
)
EXAMPLE_MY_EXPORT = MyExport(
    export=ExportDocument(
        format="gateway-household-export/1",
        person=_ME,
        generated_at="2026-12-02T09:00:00+00:00",
        dossier=[_OWN_DOSSIER],
        access_log=[_ENTRY],
        access_log_complete=True,
        withheld_notice=_NOTICE,
        consents=[EXAMPLE_CONSENT],
    ),
    jws="eyJhbGciOiJFZERTQSIsInR5cCI6ImhvdXNlaG9sZC1leHBvcnQrand0In0.eyJleHBvcnQiOnt9fQ.c2ln",
)
