"""Logs carry codes and pseudonyms only: keys off the allow-list never leave the process."""

from __future__ import annotations

import ast
import json
import logging
import warnings
from collections.abc import Iterator

import pytest
import structlog
from aiohttp.http_exceptions import BadHttpMessage
from support import REPO

from adapters.base import CategoryRecords, FetchRequest
from adapters.errors import SourceUnavailable
from adapters.registry import fetch_all
from gateway.logs import SAFE_KEYS, configure_logging, only_safe_keys


def test_unknown_keys_are_dropped_and_counted() -> None:
    event = {"event": "x", "request_id": "r1", "bsn": "999990019", "name": "Jan"}
    assert only_safe_keys(None, "info", event) == {"event": "x", "request_id": "r1", "_dropped": 2}


def test_json_log_line_never_holds_personal_data(
    json_logs: pytest.CaptureFixture[str],
) -> None:
    _json()
    structlog.get_logger("t").info(
        "exchange", purpose="support_planning", bsn="999990019", birth_date="2014-01-01"
    )
    line = json_logs.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["event"] == "exchange" and record["purpose"] == "support_planning"
    assert "999990019" not in line and "2014-01-01" not in line
    assert record["_dropped"] == 2 and record["level"] == "info" and "timestamp" in record


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """The gateway's JSON logging, undone afterwards (root handlers, structlog, warnings).

    Configured lazily, on first use in the test body: in the fixture's set-up phase
    `sys.stderr` is another capture stream than the test's."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield capsys
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(False)
    structlog.reset_defaults()


def _json() -> None:
    configure_logging("json", "info")


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    text = capsys.readouterr().err
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_stdlib_record_with_a_traceback_quoting_a_header_is_one_safe_json_line(
    json_logs: pytest.CaptureFixture[str],
) -> None:
    _json()
    header = b"Authorization: Bearer eyJhbGciOiJFUzI1NiJ9.secret X-Bsn: 999990019 Jan de Vries"
    try:
        raise BadHttpMessage(f"Invalid header value char:\n\n  {header!r}")
    except BadHttpMessage as exc:
        logging.getLogger("aiohttp.server").error(
            "Error handling request from %s", "127.0.0.1", exc_info=exc
        )
    text = json_logs.readouterr().err
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    event = json.loads(lines[0])
    assert event["event"] == "Error handling request from %s"
    assert event["logger"] == "aiohttp.server" and event["level"] == "error"
    assert event["error_type"] == "BadHttpMessage"
    for secret in ("999990019", "Jan de Vries", "eyJhbGci", "Traceback", "127.0.0.1"):
        assert secret not in lines[0]


def test_an_eagerly_formatted_multiline_stdlib_message_keeps_only_its_first_line(
    json_logs: pytest.CaptureFixture[str],
) -> None:
    _json()
    logging.getLogger("asyncio").error(
        "Task exception was never retrieved\nfuture: <Task body=b'999990019'>"
    )
    (event,) = _lines(json_logs)
    assert event["event"] == "Task exception was never retrieved"
    assert event["logger"] == "asyncio"


def test_a_python_warning_becomes_a_json_line(json_logs: pytest.CaptureFixture[str]) -> None:
    _json()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        logging.captureWarnings(True)
        warnings.warn("something old", DeprecationWarning, stacklevel=1)
    events = _lines(json_logs)
    assert [e["logger"] for e in events] == ["py.warnings"]


async def test_source_fetch_reports_outcome_and_records(
    json_logs: pytest.CaptureFixture[str],
) -> None:
    _json()

    class Answering:
        source_id = "ok"

        async def fetch(self, request: FetchRequest) -> CategoryRecords:
            return {"health": [{"note": "a"}, {"note": "b"}]}

    class Failing:
        source_id = "down"

        async def fetch(self, request: FetchRequest) -> CategoryRecords:
            raise SourceUnavailable("down", "connection_error")

    asked = FetchRequest(
        bsn="999990019",
        categories=("health",),
        purpose="support_planning",
        requester_id="wijkteam",
        request_id="req-log-1",
    )
    await fetch_all([Answering(), Failing()], {"ok": asked, "down": asked}, deadline=2.0)
    events = {e["source"]: e for e in _lines(json_logs) if e["event"] == "source_fetch"}
    assert events["ok"]["outcome"] == "ok" and events["ok"]["records"] == 2
    assert events["down"]["outcome"] == "unavailable"
    assert events["down"]["reason"] == "connection_error"
    for event in events.values():  # every field docs/adapters.md names arrives
        assert event["request_id"] == "req-log-1" and isinstance(event["elapsed_ms"], float)
        assert "_dropped" not in event


def _logged_keys() -> dict[str, set[str]]:
    """Every keyword of every structlog call (`log.info("event", key=...)`) in the packages."""
    found: dict[str, set[str]] = {}
    for package in ("gateway", "adapters", "consent", "policies"):
        for path in (REPO / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("debug", "info", "warning", "error", "exception")
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "log"
                ):
                    keys = {k.arg for k in node.keywords if k.arg is not None}
                    found.setdefault(f"{path.relative_to(REPO)}:{node.lineno}", set()).update(keys)
    return found


def test_every_key_the_code_logs_is_on_the_allow_list() -> None:
    calls = _logged_keys()
    assert len(calls) >= 10
    missing = {where: keys - SAFE_KEYS for where, keys in calls.items() if keys - SAFE_KEYS}
    assert missing == {}
