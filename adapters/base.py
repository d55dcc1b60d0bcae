"""The one port every source system is reached through.

The gateway asks a `SourceAdapter` for records of some categories about one
person; the adapter answers with records already mapped to the shared
vocabulary and minimised to the requested categories, or raises
`SourceUnavailable`. Nothing else crosses this boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias, runtime_checkable

__all__ = ["CategoryRecords", "FetchRequest", "SourceAdapter"]

# Records per requested category: {"contact_details": [{"phone": "..."}], ...}.
CategoryRecords: TypeAlias = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """What one source is asked for, on behalf of one permitted exchange.

    `bsn` lives in memory only: it is excluded from `repr` so it cannot end up
    in a log line or traceback by accident.
    """

    bsn: str = field(repr=False)
    categories: tuple[str, ...]
    purpose: str
    requester_id: str
    request_id: str
    traceparent: str = ""


@runtime_checkable
class SourceAdapter(Protocol):
    """Reaches one organisation's source system.

    `fetch` returns a key for every requested category (an empty list when the
    source holds nothing, including when it does not know the person) and only
    mapped fields of those categories. Any failure raises `SourceUnavailable`.
    """

    source_id: str

    async def fetch(self, request: FetchRequest) -> CategoryRecords: ...
