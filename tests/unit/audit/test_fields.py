"""The audit entry's fields are declared once; everything that lists them follows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given
from strategies import audit_events

from gateway.api.officer.audit import CSV_COLUMNS
from gateway.api.officer.schema import AuditEntry as EntryBody
from gateway.audit.canonical import entry_hash
from gateway.audit.fields import CSV_FIELDS, FIELD_NAMES, FIELDS, VIEW_FIELDS
from gateway.audit.model import (
    EVENT_TYPES,
    GENESIS_HASH,
    LEGACY_SHAPES,
    AuditEntry,
    AuditEvent,
    what_happened,
)
from gateway.audit.storage import entry_from_row, entry_row
from gateway.audit.tables import audit_entries


def _entry(event: AuditEvent) -> AuditEntry:
    fields = {k: v for k, v in event.__dict__.items() if k != "justification"}
    sealed = event.justification is not None
    entry = AuditEntry(
        **fields,
        seq=7,
        time=datetime(2026, 11, 30, 9, 0, 0, 123456, tzinfo=UTC),
        justification_ct="Y3Q" if sealed else None,
        justification_kid="akey" if sealed else None,
        prev_hash=GENESIS_HASH,
        hash="",
    )
    return replace(entry, hash=entry_hash(entry))


def test_the_table_has_one_column_per_declared_field_in_order() -> None:
    assert tuple(audit_entries.c.keys()) == FIELD_NAMES
    for field in FIELDS:
        column = audit_entries.c[field.name]
        assert column.nullable is field.nullable, field.name
    assert [c.name for c in audit_entries.primary_key] == ["seq"]


def test_the_csv_columns_stay_the_published_ones() -> None:
    """The CSV is read by spreadsheets and scripts: its columns are a contract."""
    assert CSV_COLUMNS == (
        "seq", "time", "event_type", "request_id", "trace_id", "requester_org", "professional",
        "role", "subject", "household", "purpose", "source", "category", "decision", "reason",
        "rule_ids", "legal_basis", "consent_ids", "policy_version", "break_glass", "outcome",
        "confidentiality", "target_seq", "hash",
    )  # fmt: skip
    assert tuple(f.name for f in CSV_FIELDS) == CSV_COLUMNS


def test_the_officers_view_has_the_justification_opened_never_sealed() -> None:
    names = {f.name for f in VIEW_FIELDS}
    assert "justification_ct" not in names
    assert set(EntryBody.__struct_fields__) == names | {"justification"}


@given(event=audit_events())
def test_a_stored_row_reads_back_as_the_same_entry_with_the_same_hash(event: AuditEvent) -> None:
    entry = _entry(event)
    back = entry_from_row(entry_row(entry))
    assert back == entry
    assert entry_hash(back) == entry.hash
    assert AuditEntry.from_json(entry.to_json()) == entry


def test_old_entries_stand_for_what_happened_and_new_ones_for_themselves() -> None:
    assert what_happened("household.registered", {"event": "registered"}) == (
        "household.registered"
    )
    assert what_happened("household.registered", {"event": "member_joined"}) == (
        "household.changed"
    )
    assert what_happened("exchange.decision", {"access": "household_read"}) == (
        "household.read_by_organisation"
    )
    assert what_happened("exchange.decision", {"access": "consents_read"}) == "consent.listed"
    assert what_happened("exchange.decision", {"exchange_id": "ex_1"}) == "exchange.decision"
    assert what_happened("household.changed", {"event": "custody_ended"}) == ("household.changed")
    assert what_happened("consent.listed", {}) == "consent.listed"


def test_every_name_an_old_shape_stands_for_is_in_the_catalogue() -> None:
    for shape in LEGACY_SHAPES:
        assert shape.event_type in EVENT_TYPES and shape.stored_as in EVENT_TYPES
