"""structlog, configured once: JSON lines (or a readable console on a terminal).

Only keys on an allow-list leave the process, so a stray `name=` or `bsn=`
never reaches the logs; anything else is dropped and counted in `_dropped`.

The standard library's `logging` (aiohttp, asyncio, SQLAlchemy, Alembic) goes
through the same processors and renderer, so a JSON log holds only JSON lines.
A foreign record keeps its logger name, level and message *template* (first
line, cut short), and of an exception only its class name: the formatted
message, its arguments and the traceback can quote request bytes (aiohttp's
parser errors quote the offending header, bearer tokens included), so they
never leave the process.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

__all__ = ["SAFE_KEYS", "configure_logging", "foreign_record", "only_safe_keys"]

SAFE_KEYS = frozenset(
    {
        "event",
        "level",
        "timestamp",
        "logger",
        "request_id",
        "trace_id",
        "method",
        "route",
        "status",
        "code",
        "duration_ms",
        "organisation",
        "requester",
        "role",
        "purpose",
        "source",
        "sources",
        "category",
        "decision",
        "reason",
        "policy_version",
        "exchange_id",
        "subject",
        "household",
        "consent_id",
        "audit_seq",
        "count",
        "revision",
        "host",
        "port",
        "url",
        "path",
        "error",
        "error_type",
        "kid",
        "database",
        "setting",
        "entries",
        "batch",
        "checkpoint_seq",
        "problems",
        "version",
        "org",
        "adapter",
        "elapsed_ms",
        "outcome",
        "records",
    }
)
_FOREIGN_EVENT_LIMIT = 120


def only_safe_keys(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Drop every key not on the allow-list (personal data has no key there)."""
    dropped = [key for key in event_dict if key not in SAFE_KEYS]
    for key in dropped:
        del event_dict[key]
    if dropped:
        event_dict["_dropped"] = len(dropped)
    return event_dict


def foreign_record(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A stdlib record as a safe event: the message template, not what was filled in."""
    record = event_dict.get("_record")
    if isinstance(record, logging.LogRecord):
        template = str(record.msg).strip().splitlines()
        event_dict["event"] = (template[0] if template else "")[:_FOREIGN_EVENT_LIMIT]
        event_dict["logger"] = record.name
        if record.exc_info and record.exc_info[0] is not None:
            event_dict["error_type"] = record.exc_info[0].__name__
    for key in ("exc_info", "stack_info", "positional_args"):
        event_dict.pop(key, None)
    return event_dict


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]  # generic in stubs only
    """Writes to whatever `sys.stderr` is when a record arrives (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_logging(log_format: str = "auto", level: str = "info") -> None:
    """structlog and the stdlib root logger: one chain, one renderer, on stderr."""
    console = log_format == "console" or (log_format == "auto" and sys.stderr.isatty())
    renderer: Any = (
        structlog.dev.ConsoleRenderer() if console else structlog.processors.JSONRenderer()
    )
    numeric_level = logging.getLevelNamesMapping()[level.upper()]
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, only_safe_keys, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        # Whatever `sys.stderr` is when a logger is made (as `_StderrHandler` does): a
        # stream captured at configure time may be closed by then (tests swap it).
        logger_factory=lambda *_args: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )
    handler = _StderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, foreign_record],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                only_safe_keys,
                renderer,
            ],
            use_get_message=False,  # the template: the filled-in message may quote requests
        )
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric_level)
    logging.captureWarnings(True)
