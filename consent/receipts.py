"""Consent receipts: the claims of a signed record of one grant, refusal or withdrawal.

Modelled on ISO/IEC TS 27560 (consent record information structure): who the
record is about and who gave it, what for (purposes, categories, recipients,
sources), when and how it was given, its validity, the event and the policy
version. The gateway signs the claims as a compact JWS (EdDSA, `kid` from its
JWKS, `typ` `consent-receipt+jwt`); this module only builds them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from consent.model import ConsentRecord

__all__ = ["RECEIPT_SCHEMA", "RECEIPT_TYP", "receipt_claims"]

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
