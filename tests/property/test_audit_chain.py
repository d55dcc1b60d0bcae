"""Chain properties: the canonical form is RFC 8785; any single tampering is found in place."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import audit_events
from tamper_support import ENTRY_FIELDS, tamper

from gateway.audit.canonical import canonical_entry, entry_hash
from gateway.audit.checkpoints import sign_checkpoint
from gateway.audit.export import EXPORT_FORMAT, verify_export
from gateway.audit.model import GENESIS_HASH, AuditEntry, AuditEvent, Checkpoint
from gateway.audit.tables import audit_entries
from gateway.audit.verify import verify_chain
from gateway.auth.keys import KeyStore, init_keys

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def keys() -> Iterator[KeyStore]:
    with tempfile.TemporaryDirectory() as folder:
        init_keys(Path(folder) / "keys")
        yield KeyStore.load(Path(folder) / "keys")


def build_chain(events: list[AuditEvent]) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    prev = GENESIS_HASH
    for seq, event in enumerate(events, start=1):
        fields = {k: v for k, v in event.__dict__.items() if k != "justification"}
        entry = AuditEntry(
            **fields,
            seq=seq,
            time=T0 + timedelta(microseconds=seq * 1001),
            justification_ct=None if event.justification is None else f"ct{seq}",
            justification_kid=None if event.justification is None else "akey",
            prev_hash=prev,
            hash="",
        )
        entry = replace(entry, hash=entry_hash(entry))
        entries.append(entry)
        prev = entry.hash
    return entries


@given(event=audit_events(), seq=st.integers(1, 2**53 - 1))
def test_fast_canonical_form_equals_rfc8785(event: AuditEvent, seq: int) -> None:
    entry = replace(build_chain([event])[0], seq=seq)
    fields = entry.hashed_fields()
    assert canonical_entry(fields) == rfc8785.dumps(fields)
    assert canonical_entry(dict(reversed(list(fields.items())))) == canonical_entry(fields)


@given(event=audit_events())
def test_export_form_round_trips_with_the_same_hash(event: AuditEvent) -> None:
    entry = build_chain([event])[0]
    again = AuditEntry.from_json(entry.to_json())
    assert again == entry and entry_hash(again) == entry.hash


chains = st.lists(audit_events(), min_size=2, max_size=10)


@settings(max_examples=60, deadline=None)
@given(events=chains, data=st.data())
def test_any_single_tampering_is_found_at_its_seq(
    keys: KeyStore, events: list[AuditEvent], data: st.DataObject
) -> None:
    entries = build_chain(events)
    last = entries[-1]
    checkpoints = [
        sign_checkpoint(keys, seq=last.seq, hash=last.hash, time=T0, kind="checkpoint", issuer="t")
    ]
    jwks = keys.jwks()
    assert verify_chain(entries, checkpoints, jwks).ok

    kind = data.draw(st.sampled_from(["change", "delete", "insert", "swap"]))
    i = data.draw(st.integers(0, len(entries) - (2 if kind == "swap" else 1)))
    tampered = list(entries)
    if kind == "change":
        field = data.draw(st.sampled_from(ENTRY_FIELDS))
        tampered[i] = tamper(entries[i], field)
    elif kind == "delete":
        del tampered[i]
    elif kind == "insert":
        tampered.insert(i, replace(entries[i], reason="forged"))
    else:
        tampered[i], tampered[i + 1] = tampered[i + 1], tampered[i]

    report = verify_chain(tampered, checkpoints, jwks)
    assert not report.ok
    assert report.first_bad_seq == i + 1


def test_the_entry_the_table_the_hash_and_the_export_cover_the_same_fields() -> None:
    """The tamper tests below take their fields from `AuditEntry`; this keeps the table,
    the hashed form and the export form from having a field the entry does not."""
    entry = build_chain(
        [AuditEvent(event_type="audit.verify", request_id="req_1", justification="j")]
    )[0]
    assert set(ENTRY_FIELDS) == set(audit_entries.c.keys())
    assert set(entry.hashed_fields()) == set(ENTRY_FIELDS) - {"hash"}
    assert set(entry.to_json()) == set(ENTRY_FIELDS)


def write_export(path: Path, entries: list[AuditEntry], checkpoints: list[Checkpoint]) -> None:
    """An export file in the documented format (docs/audit.md; gateway/audit/export.py)."""
    lines: list[dict[str, object]] = [
        {"type": "header", "format": EXPORT_FORMAT, "version": 1, "exported_at": "x"}
    ]
    lines += [{"type": "checkpoint", **c.to_json()} for c in checkpoints]
    lines += [{"type": "entry", **e.to_json()} for e in entries]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


@pytest.fixture(scope="module")
def export_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


@pytest.mark.parametrize("field", ENTRY_FIELDS)
@settings(max_examples=15, deadline=None)
@given(events=chains, data=st.data())
def test_changing_any_field_of_an_entry_is_found_at_its_seq_in_memory_and_offline(
    keys: KeyStore, export_dir: Path, field: str, events: list[AuditEvent], data: st.DataObject
) -> None:
    entries = build_chain(events)
    last = entries[-1]
    checkpoints = [
        sign_checkpoint(keys, seq=last.seq, hash=last.hash, time=T0, kind="checkpoint", issuer="t")
    ]
    jwks = keys.jwks()
    i = data.draw(st.integers(0, len(entries) - 1))
    tampered = list(entries)
    tampered[i] = tamper(entries[i], field)

    report = verify_chain(tampered, checkpoints, jwks)
    assert not report.ok and report.first_bad_seq == i + 1, (field, report.problems)

    path = export_dir / "export.jsonl"
    write_export(path, entries, checkpoints)
    assert verify_export(path, jwks).ok
    write_export(path, tampered, checkpoints)
    offline = verify_export(path, jwks)
    assert not offline.ok and offline.first_bad_seq == i + 1, (field, offline.problems)


@settings(max_examples=25, deadline=None)
@given(events=chains)
def test_a_forged_checkpoint_signature_is_reported(
    keys: KeyStore, events: list[AuditEvent]
) -> None:
    entries = build_chain(events)
    good = sign_checkpoint(
        keys, seq=1, hash=entries[0].hash, time=T0, kind="checkpoint", issuer="t"
    )
    header, payload, signature = good.jws.split(".")
    forged = replace(good, jws=f"{header}.{payload}.{signature[::-1]}")
    report = verify_chain(entries, [forged], keys.jwks())
    assert [p.kind for p in report.problems] == ["checkpoint_invalid"]
