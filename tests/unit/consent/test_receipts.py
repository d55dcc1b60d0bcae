"""The receipt payload: a consent record's fields, pseudonyms only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from consent import Actor, ConsentRecord, ConsentScope, receipt_claims
from consent.receipts import RECEIPT_SCHEMA

AT = datetime(2026, 3, 1, 10, tzinfo=UTC)


def test_receipt_claims_carry_the_consent_record_fields() -> None:
    record = ConsentRecord(
        id="cs_1",
        subject="ps_child",
        given_by="ps_mother",
        giver_role="custody_holder",
        decision="grant",
        status="active",
        scope=ConsentScope(
            purposes=frozenset({"support_planning"}),
            categories=frozenset({"school", "contact_details"}),
            recipient_types=frozenset({"wijkteam"}),
            source_organisations=frozenset({"gi-jeugdbescherming-demo"}),
        ),
        recorded_via="paper",
        recorded_by=Actor("professional", organisation="wijkteam-utrecht", professional="p-9"),
        given_at=AT - timedelta(days=1),
        valid_from=AT - timedelta(days=1),
        valid_until=AT + timedelta(days=365),
        evidence_reference="form-77",
        policy_version="sha256:abc",
    )
    claims = receipt_claims(record, event="granted", at=AT, receipt_id="rc_1", issuer="https://gw")
    assert claims["iss"] == "https://gw"
    assert claims["iat"] == int(AT.timestamp())
    assert claims["jti"] == "rc_1"
    assert claims["schema_version"] == RECEIPT_SCHEMA
    assert claims["record_id"] == "cs_1"
    assert claims["pii_principal_id"] == "ps_child"
    assert claims["given_by"] == {"id": "ps_mother", "role": "custody_holder"}
    assert claims["pii_categories"] == ["contact_details", "school"]
    assert claims["recipients"] == {"organisations": [], "types": ["wijkteam"]}
    assert claims["sources"] == {"organisations": ["gi-jeugdbescherming-demo"], "types": []}
    assert claims["valid_until"] == (AT + timedelta(days=365)).isoformat()
    assert claims["withdrawn_at"] is None
    assert claims["collection_method"] == "paper"
    assert claims["evidence_reference"] == "form-77"
    assert claims["recorded_by"] == {
        "kind": "professional",
        "organisation": "wijkteam-utrecht",
        "professional": "p-9",
    }
    assert claims["policy_version"] == "sha256:abc"
    assert claims["status"] == "active"
    later = receipt_claims(
        record, event="granted", at=AT + timedelta(days=400), receipt_id="rc_2", issuer="x"
    )
    assert later["status"] == "expired"
