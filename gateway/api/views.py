"""JSON views of households, consents and receipts (pseudonyms only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from consent import ConsentRecord, Household, Receipt

__all__ = ["consent_json", "household_json", "receipt_json"]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def household_json(household: Household) -> dict[str, Any]:
    now = datetime.now(UTC)
    current = {m.person for m in household.members_at(now)}
    return {
        "id": household.id,
        "regiehouder": household.regiehouder,
        "region": household.region,
        "contact_person": {
            "organisation": household.contact_organisation,
            "professional": household.contact_professional,
        },
        "created_at": household.created_at.isoformat(),
        "members": [
            {
                "person": m.person,
                "birth_date": m.birth_date.isoformat(),
                "role": m.role,
                "since": m.since.isoformat(),
                "until": _iso(m.until),
                "current": m.person in current and m.until is None,
            }
            for m in household.members
        ],
        "custody": [
            {
                "parent": c.parent,
                "child": c.child,
                "since": c.since.isoformat(),
                "until": _iso(c.until),
                "confirmed_at": _iso(c.confirmed_at),
            }
            for c in household.custody
        ],
        "history": [
            {
                "event": e.event,
                "at": e.at.isoformat(),
                "actor": e.actor.as_dict(),
                "detail": e.detail,
            }
            for e in household.events
        ],
    }


def consent_json(record: ConsentRecord) -> dict[str, Any]:
    scope = record.scope
    return {
        "id": record.id,
        "subject": record.subject,
        "given_by": {"person": record.given_by, "role": record.giver_role},
        "decision": record.decision,
        "status": record.status_at(datetime.now(UTC)),
        "purposes": sorted(scope.purposes),
        "categories": sorted(scope.categories),
        **scope.parties_json(),
        "given_at": record.given_at.isoformat(),
        "valid_from": record.valid_from.isoformat(),
        "valid_until": _iso(record.valid_until),
        "withdrawn_at": _iso(record.withdrawn_at),
        "superseded_by": record.superseded_by,
        "recorded_via": record.recorded_via,
        "recorded_by": record.recorded_by.as_dict(),
        "evidence_reference": record.evidence_reference,
        "policy_version": record.policy_version,
        "history": [
            {
                "event": e.event,
                "at": e.at.isoformat(),
                "actor": e.actor.as_dict(),
                "detail": e.detail,
            }
            for e in record.events
        ],
    }


def receipt_json(receipt: Receipt) -> dict[str, Any]:
    return {
        "id": receipt.id,
        "consent_id": receipt.consent_id,
        "event": receipt.event,
        "issued_at": receipt.issued_at.isoformat(),
        "jws": receipt.jws,
    }
