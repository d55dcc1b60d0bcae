"""Every error the adapters raise, in one leaf module to avoid import loops.

    AdapterError
    ├── SourceUnavailable      a source could not answer this request; the gateway
    │                          reports its items as `source_unavailable`, no records
    └── AdapterConfigError     bad adapter settings or a bad mapping file (start-up)
        └── MappingError       a mapping file that does not validate

Messages carry no personal data: a source id, a reason code, a file and key name.
The reason codes of `SourceUnavailable` are stable and listed in `REASON_CODES`.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "REASON_ADAPTER_ERROR",
    "REASON_BAD_RESPONSE",
    "REASON_CODES",
    "REASON_CONNECTION_ERROR",
    "REASON_DATABASE_ERROR",
    "REASON_HTTP_ERROR",
    "REASON_NOT_CONFIGURED",
    "REASON_TIMEOUT",
    "REASON_TOKEN_ERROR",
    "REASON_UNAUTHORIZED",
    "AdapterConfigError",
    "AdapterError",
    "MappingError",
    "SourceUnavailable",
]

REASON_TIMEOUT = "timeout"
REASON_CONNECTION_ERROR = "connection_error"
REASON_HTTP_ERROR = "http_error"
REASON_UNAUTHORIZED = "unauthorized"
REASON_BAD_RESPONSE = "bad_response"
REASON_DATABASE_ERROR = "database_error"
REASON_TOKEN_ERROR = "token_error"  # noqa: S105 - a reason code, not a secret
REASON_NOT_CONFIGURED = "not_configured"
REASON_ADAPTER_ERROR = "adapter_error"

REASON_CODES = frozenset(
    {
        REASON_TIMEOUT,
        REASON_CONNECTION_ERROR,
        REASON_HTTP_ERROR,
        REASON_UNAUTHORIZED,
        REASON_BAD_RESPONSE,
        REASON_DATABASE_ERROR,
        REASON_TOKEN_ERROR,
        REASON_NOT_CONFIGURED,
        REASON_ADAPTER_ERROR,
    }
)


class AdapterError(Exception):
    """Base of everything this package raises on purpose."""


class SourceUnavailable(AdapterError):
    """A source failed for this request; the exchange goes on without its records.

    `code` is what the gateway puts in each affected item's `error`; `reason_code`
    says why, for logs and the privacy officer (never shown with personal data).
    """

    code: ClassVar[str] = "source_unavailable"

    def __init__(self, source_id: str, reason_code: str) -> None:
        super().__init__(f"source {source_id!r} unavailable: {reason_code}")
        self.source_id = source_id
        self.reason_code = reason_code

    def __reduce__(self) -> tuple[type[SourceUnavailable], tuple[str, str]]:
        return (type(self), (self.source_id, self.reason_code))


class AdapterConfigError(AdapterError):
    """Adapter settings that cannot work; raised at start-up, naming where."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


class MappingError(AdapterConfigError):
    """A mapping file that does not validate; `where` names the file (and key)."""
