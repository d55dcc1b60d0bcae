"""Logs carry codes and pseudonyms only: keys off the allow-list never leave the process."""

from __future__ import annotations

import json

import pytest
import structlog

from gateway.logs import configure_logging, only_safe_keys


def test_unknown_keys_are_dropped_and_counted() -> None:
    event = {"event": "x", "request_id": "r1", "bsn": "999990019", "name": "Jan"}
    assert only_safe_keys(None, "info", event) == {"event": "x", "request_id": "r1", "_dropped": 2}


def test_json_log_line_never_holds_personal_data(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "info")
    try:
        structlog.get_logger("t").info(
            "exchange", purpose="support_planning", bsn="999990019", birth_date="2014-01-01"
        )
        line = capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        structlog.reset_defaults()
    record = json.loads(line)
    assert record["event"] == "exchange" and record["purpose"] == "support_planning"
    assert "999990019" not in line and "2014-01-01" not in line
    assert record["_dropped"] == 2 and record["level"] == "info" and "timestamp" in record
