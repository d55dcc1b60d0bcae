"""The bodies of `POST /api/v1/exchanges`, declared once: the request is decoded into
`ExchangeRequest` (`gateway.http.bodies.read_body`), the answer is what
`ExchangeResult.to_json` writes (a test converts real answers into `ExchangeResponse`),
and the OpenAPI document draws both schemas from here.

Shape only: what the configuration decides (a known purpose, category or source, the
category limit, a case reference's form, a break-the-glass purpose) is checked by
`gateway.exchange.validate`, which answers each with its own code.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import msgspec

from gateway.errors import GatewayError, InvalidBsn
from gateway.http.vocabulary import (
    EXAMPLE_BSN,
    Bsn,
    CaseReference,
    Category,
    Organisation,
    Purpose,
    Reason,
    component,
)

__all__ = [
    "EXAMPLE_REQUEST",
    "EXAMPLE_RESPONSE",
    "BreakGlass",
    "Decision",
    "ExchangeItem",
    "ExchangeRequest",
    "ExchangeResponse",
    "Explanation",
    "Subject",
]

#: `break_glass.justification` and other free text: at most this many characters.
MAX_TEXT = 2000

Decision = Annotated[Literal["permit", "deny"], component("Decision")]
Record = Annotated[
    dict[str, Any], component("Record", "One record from a source, minimised to its category")
]
ItemError = Annotated[Literal["source_unavailable"], component("ItemError")]
ConsentParty = Annotated[
    Literal["subject", "custody_holder"],
    component("ConsentParty", "Whose consent: the subject, or a parent with custody"),
]
HouseholdRole = Annotated[
    Literal["child", "adult", "not_registered", "parent_with_custody"],
    component("HouseholdRole", "The place in the household of whoever must consent"),
]


class Subject(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True, frozen=True):
    """The one person the exchange is about."""

    bsn: Bsn


class BreakGlass(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True, frozen=True):
    """Only with a break-the-glass purpose; reviewed by a privacy officer afterwards."""

    justification: Annotated[str, msgspec.Meta(max_length=MAX_TEXT)]


class ExchangeRequest(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True, frozen=True):
    """Ask for data about one person, for one declared purpose."""

    __errors__: ClassVar[dict[str, type[GatewayError]]] = {"$.subject.bsn": InvalidBsn}

    subject: Subject
    purpose: Purpose
    categories: Annotated[list[Category], msgspec.Meta(min_length=1)]
    sources: (
        Annotated[
            list[Organisation],
            msgspec.Meta(min_length=1, description="Only these sources (default: all)"),
        ]
        | None
    ) = None
    case_reference: (
        Annotated[
            CaseReference,
            msgspec.Meta(
                description="The reference of an open case the requester registered "
                "(POST /api/v1/cases) covering the subject; any other reference satisfies "
                "no rule (reason case_reference_required)."
            ),
        ]
        | None
    ) = None
    break_glass: BreakGlass | None = None


class Explanation(msgspec.Struct, omit_defaults=True, frozen=True):
    nl: str
    en: str


class MissingConsent(msgspec.Struct, omit_defaults=True, frozen=True):
    """One consent still needed: the subject (with the age band that decides whose consent
    counts) or a parent with custody; which parent, or who, is never said."""

    party: ConsentParty
    household_role: HouseholdRole
    label: Explanation
    age_band: str | None = None


class ExchangeItem(msgspec.Struct, omit_defaults=True, frozen=True):
    """The decision for one source x category, with the records where permitted."""

    source: Organisation
    category: Category
    decision: Decision
    reason: Reason
    rule_ids: list[str]
    legal_basis: str | None
    statutory_reference: str | None = None
    explanation: Explanation | None = None
    consent_ids: list[str] = []
    missing_consent_from: Annotated[
        list[ConsentParty],
        msgspec.Meta(
            description="Whose consent is still needed, one entry per consent: the subject "
            "or a parent with custody (never a pseudonym; labels in `missing_consent`)"
        ),
    ] = []
    missing_consent: Annotated[
        list[MissingConsent],
        msgspec.Meta(description="Whose consent is still needed, in the household's terms"),
    ] = []
    records: list[Record] | None = None
    error: ItemError | None = None


class ExchangeResponse(msgspec.Struct, omit_defaults=True, frozen=True):
    """Per-item decisions; every item was written to the audit log before this answer."""

    exchange_id: str
    policy_version: str
    results: list[ExchangeItem]


EXAMPLE_REQUEST = ExchangeRequest(
    subject=Subject(bsn=EXAMPLE_BSN),
    purpose="support_planning",
    categories=["contact_details", "support_plan"],
)
EXAMPLE_RESPONSE = ExchangeResponse(
    exchange_id="ex_0f3c2a9e",
    policy_version="2026.1",
    results=[
        ExchangeItem(
            source="wijkteam-utrecht",
            category="contact_details",
            decision="permit",
            reason="permitted",
            rule_ids=["wijkteam-contact-support-planning"],
            legal_basis="wmo_2015",
            explanation=Explanation(nl="Toegestaan.", en="Permitted."),
            records=[{"phone": "+31 30 000 0000"}],
        ),
        ExchangeItem(
            source="wijkteam-utrecht",
            category="support_plan",
            decision="deny",
            reason="consent_required",
            rule_ids=["wijkteam-plan-support-planning"],
            legal_basis=None,
            missing_consent_from=["subject", "custody_holder"],
            missing_consent=[
                MissingConsent(
                    "subject",
                    "child",
                    Explanation(nl="het kind zelf (12\u201315 jaar)", en="the child (12\u201315)"),
                    "12-15",
                ),
                MissingConsent(
                    "custody_holder",
                    "parent_with_custody",
                    Explanation(nl="een ouder met gezag", en="a parent with custody"),
                ),
            ],
        ),
    ],
)
