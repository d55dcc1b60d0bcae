"""The bodies of the household's own routes (`/api/v1/me`), declared once (see
`gateway.api.org.schema`; a consent reads the same through both doors)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from gateway.api.org.schema import (
    EXAMPLE_CONSENT,
    Actor,
    Consent,
    ConsentDecision,
    Parties,
    Recipients,
)
from gateway.http.vocabulary import Category, Purpose, Time

__all__ = [
    "EXAMPLE_MY_CONSENTS",
    "EXAMPLE_PORTAL_CONSENT",
    "MyConsents",
    "Notification",
    "PortalConsent",
]


class PortalConsent(msgspec.Struct, omit_defaults=True):
    """A consent or refusal the person gives in the portal, for themselves or a child."""

    purposes: Annotated[list[Purpose], msgspec.Meta(min_length=1)]
    categories: Annotated[list[Category], msgspec.Meta(min_length=1)]
    recipients: Recipients
    subject: Annotated[str | None, msgspec.Meta(description="pseudonym; default: myself")] = None
    decision: ConsentDecision = "grant"
    sources: Parties | None = None
    regions: list[str] | None = None
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
    recipients=Recipients(organisations=["wijkteam-utrecht"]),
)
EXAMPLE_MY_CONSENTS = MyConsents(
    person=EXAMPLE_CONSENT.subject, consents=[EXAMPLE_CONSENT], notifications=[]
)
