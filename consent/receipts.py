"""Consent receipts: the claims of a signed record of one grant, refusal or withdrawal.

Modelled on ISO/IEC TS 27560 (consent record information structure): who the
record is about and who gave it, what for (purposes, categories, recipients,
sources), when and how it was given, its validity, the event and the policy
version. The gateway signs the claims as a compact JWS (EdDSA, `kid` from its
JWKS, `typ` `consent-receipt+jwt`) and hands the signing function in; this module
builds the claims and keeps the signed receipts beside the consent they are about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from consent._sql import aware, new_id
from consent.model import ConsentRecord
from consent.tables import consent_receipts

__all__ = [
    "RECEIPT_SCHEMA",
    "RECEIPT_TYP",
    "Receipt",
    "ReceiptIssuer",
    "read_receipts",
    "receipt_claims",
]

RECEIPT_SCHEMA: Final = "iso-iec-ts-27560:2023-style/jeugd-gateway-1"
RECEIPT_TYP: Final = "consent-receipt+jwt"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def receipt_claims(
    record: ConsentRecord, *, event: str, at: datetime, receipt_id: str, issuer: str
) -> dict[str, Any]:
    scope = record.scope
    return {
        "iss": issuer,
        "iat": int(at.timestamp()),
        "jti": receipt_id,
        "schema_version": RECEIPT_SCHEMA,
        "record_id": record.id,
        "event": event,
        "event_time": at.isoformat(),
        "status": record.status_at(at),
        "pii_principal_id": record.subject,
        "given_by": {"id": record.given_by, "role": record.giver_role},
        "decision": record.decision,
        "purposes": sorted(scope.purposes),
        "pii_categories": sorted(scope.categories),
        **scope.parties_json(),
        "given_at": record.given_at.isoformat(),
        "valid_from": record.valid_from.isoformat(),
        "valid_until": _iso(record.valid_until),
        "withdrawn_at": _iso(record.withdrawn_at),
        "collection_method": record.recorded_via,
        "evidence_reference": record.evidence_reference,
        "recorded_by": record.recorded_by.as_dict(),
        "policy_version": record.policy_version,
    }


@dataclass(frozen=True, slots=True)
class Receipt:
    id: str
    consent_id: str
    event: str
    issued_at: datetime
    jws: str


@dataclass(frozen=True, slots=True)
class ReceiptIssuer:
    """Signs and stores a receipt inside the transaction that records the event."""

    sign: Callable[[dict[str, Any]], str]
    issuer: str

    async def issue(
        self, conn: AsyncConnection, record: ConsentRecord, event: str, at: datetime
    ) -> None:
        receipt_id = new_id("rc")
        claims = receipt_claims(
            record, event=event, at=at, receipt_id=receipt_id, issuer=self.issuer
        )
        await conn.execute(
            insert(consent_receipts).values(
                id=receipt_id,
                consent_id=record.id,
                event=event,
                issued_at=at,
                jws=self.sign(claims),
            )
        )


async def read_receipts(conn: AsyncConnection, consent_id: str) -> list[Receipt]:
    """The receipts of one consent, in the order they were issued."""
    rows = await conn.execute(
        select(consent_receipts)
        .where(consent_receipts.c.consent_id == consent_id)
        .order_by(consent_receipts.c.issued_at, consent_receipts.c.id)
    )
    return [Receipt(r.id, r.consent_id, r.event, aware(r.issued_at), r.jws) for r in rows]
