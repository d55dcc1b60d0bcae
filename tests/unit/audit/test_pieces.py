"""Pure pieces of the audit log: event validation, encryption, cursors, filters."""

from __future__ import annotations

import os

import pytest

from gateway.audit.crypto import JustificationBox
from gateway.audit.model import AuditEvent
from gateway.audit.query import CursorCodec, parse_filters, parse_limit
from gateway.errors import InvalidCursor, InvalidFilter
from gateway.http.subjects import Pseudonymiser

ORGS = frozenset({"wijkteam-utrecht", "veilig-thuis-utrecht"})


@pytest.mark.parametrize(
    "fields",
    [
        {"event_type": "made.up"},
        {"decision": "maybe"},
        {"outcome": "leaked"},
        {"confidentiality": "lifted"},  # only a lift entry lifts
        {"subject": "Jan de Vries"},  # a name is not a code
        {"rule_ids": ["not", "a", "tuple"]},
        {"details": {"Bad Key": "x"}},
        {"justification": ""},
        {"target_seq": 0},
    ],
)
def test_invalid_events_are_refused_without_echoing_values(fields: dict[str, object]) -> None:
    base: dict[str, object] = {"event_type": "exchange.decision", "request_id": "req_12345678"}
    with pytest.raises(ValueError, match="invalid audit event") as caught:
        AuditEvent(**{**base, **fields})  # type: ignore[arg-type]
    assert "Jan" not in str(caught.value)


def test_justification_seals_and_opens_only_for_its_request_and_key() -> None:
    old, new = os.urandom(32), os.urandom(32)
    box = JustificationBox({"k1": old}, "k1")
    ciphertext, kid = box.seal("Kind in acuut gevaar", "req_1")
    assert kid == "k1" and "gevaar" not in ciphertext
    assert box.open(ciphertext, kid, "req_1") == "Kind in acuut gevaar"
    assert box.open(ciphertext, kid, "req_2") is None  # moved to another entry
    rotated = JustificationBox({"k1": old, "k2": new}, "k2")
    assert rotated.open(ciphertext, "k1", "req_1") == "Kind in acuut gevaar"
    assert rotated.seal("x", "req_1")[1] == "k2"
    assert JustificationBox({"k2": new}, "k2").open(ciphertext, "k1", "req_1") is None


def test_cursor_is_bound_to_its_query_and_tamper_proof() -> None:
    codec = CursorCodec.from_secret(b"s" * 32)
    query = codec.binding("search", {"purpose": "x"}, ["wijkteam-utrecht"])
    cursor = codec.encode(query, 42)
    assert codec.decode(cursor, query) == 42
    with pytest.raises(InvalidCursor):
        codec.decode(cursor, codec.binding("search", {"purpose": "y"}, ["wijkteam-utrecht"]))
    with pytest.raises(InvalidCursor):
        codec.decode(cursor.replace(".", ".x"), query)
    with pytest.raises(InvalidCursor):
        CursorCodec.from_secret(b"t" * 32).decode(cursor, query)
    with pytest.raises(InvalidCursor):
        codec.decode("garbage", query)


def test_filters_parse_and_pseudonymise_the_bsn() -> None:
    pseudonymiser = Pseudonymiser(b"k" * 32)
    filters = parse_filters(
        {"from": "2026-01-01", "to": "2026-02-01T00:00:00+01:00", "bsn": "111222333",
         "break_glass": "false", "organisation": "wijkteam-utrecht"},
        pseudonym=pseudonymiser.pseudonym,
        organisations=ORGS,
    )  # fmt: skip
    assert filters.subject == pseudonymiser.pseudonym("111222333")
    assert filters.break_glass is False and filters.since is not None
    assert "111222333" not in str(filters.details())
    with pytest.raises(InvalidFilter):
        parse_filters({"from": "2026-02-01", "to": "2026-01-01"}, pseudonym=str, organisations=ORGS)
    with pytest.raises(InvalidFilter):
        parse_limit("501")
    assert parse_limit(None) == 50 and parse_limit("10000", maximum=10_000) == 10_000


def test_postgresql_batch_parameter_holds_exactly_the_columns() -> None:
    # `json_to_recordset` reads a missing key as null and ignores an extra one: the
    # batch's JSON must be refused unless every entry has exactly the table's columns.
    import json
    from datetime import UTC, datetime

    from gateway.audit.tables import audit_entries
    from gateway.audit.writer import _Head, _pg_args, _Plan

    now = datetime(2026, 12, 4, 1, 2, 3, 456789, tzinfo=UTC)
    entry = {c.name: None for c in audit_entries.c} | {"seq": 1, "time": now, "hash": "h"}
    head = _Head(0, "0" * 64, 0, None)
    moved = {"new_seq": 1, "new_hash": "h", "new_checkpoint_seq": 0, "new_checkpoint_time": None}
    args = _pg_args(head, _Plan([entry], None, moved, [[1]]))
    [row] = json.loads(args[0])
    assert row.keys() == entry.keys() and row["time"] == "2026-12-04T01:02:03.456789Z"
    for broken in (
        {k: v for k, v in entry.items() if k != "subject"},
        entry | {"extra": "x"},
    ):
        with pytest.raises(RuntimeError):
            _pg_args(head, _Plan([broken], None, moved, [[1]]))
    with pytest.raises(TypeError):  # a value JSON has no form for is refused, not stringified
        _pg_args(head, _Plan([entry | {"subject": object()}], None, moved, [[1]]))
