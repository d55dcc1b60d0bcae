"""structlog, configured once: JSON lines (or a readable console on a terminal).

Only keys on an allow-list leave the process, so a stray `name=` or `bsn=`
never reaches the logs; anything else is dropped and counted in `_dropped`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

__all__ = ["SAFE_KEYS", "configure_logging", "only_safe_keys"]

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
    }
)


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


def configure_logging(log_format: str = "auto", level: str = "info") -> None:
    console = log_format == "console" or (log_format == "auto" and sys.stderr.isatty())
    renderer: Any = (
        structlog.dev.ConsoleRenderer() if console else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            only_safe_keys,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
