"""Checking request values against the vocabulary: one-line text, purposes, BSNs as
pseudonyms, dates, and a consent's scope (400 with the gateway's codes otherwise).

A body's shape is its declaration (`msgspec.Struct`, read by `gateway.http.bodies`);
these take the decoded values and check what a type cannot say: text without control
characters, a calendar date or a time in range, names the configuration knows.
`optional_datetime` and `parse_scope` still take the raw JSON object, for the
household's own routes until they read through declarations too.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Any, Protocol

from aiohttp import web

from consent import ConsentScope
from gateway.appkeys import ORGANISATIONS, PSEUDONYMISER, VOCABULARY
from gateway.errors import (
    UnknownCategory,
    UnknownOrganisation,
    UnknownPurpose,
    ValidationFailed,
    naming_valid_values,
)
from gateway.http.inputs import EARLIEST, LATEST, clean_text, parse_date, parse_datetime

__all__ = [
    "NamedParties",
    "birth_date",
    "consent_scope",
    "date_time",
    "one_line",
    "pseudonym",
    "query_purpose",
]


class NamedParties(Protocol):
    """The organisations and organisation types a consent names (`recipients`, `sources`)."""

    @property
    def organisations(self) -> Collection[str]: ...
    @property
    def types(self) -> Collection[str]: ...


def one_line(value: str, name: str, *, limit: int = 200) -> str:
    """A one-line text field: non-empty, at most `limit` characters, no control characters."""
    if not value.strip() or not clean_text(value, limit):
        raise ValidationFailed(
            f"`{name}` must be a non-empty string of at most {limit} characters "
            "without control characters"
        )
    return value.strip()


def query_purpose(request: web.Request) -> str | None:
    """The `purpose` query parameter: None when absent or empty, else a purpose of the
    vocabulary (400 `unknown_purpose`). Checked before anything is decided or logged:
    the audit log takes codes only, so free text there would be a 500."""
    value = request.query.get("purpose") or None
    if value is not None and value not in request.app[VOCABULARY].purposes:
        raise naming_valid_values(
            UnknownPurpose,
            "`purpose` is not a known purpose",
            request.app[VOCABULARY].purposes,
        )
    return value


def pseudonym(request: web.Request, value: Any) -> str:
    """A BSN (elfproef-checked; `invalid_bsn` otherwise) as its keyed pseudonym."""
    return request.app[PSEUDONYMISER].pseudonym(value if isinstance(value, str) else "")


def birth_date(value: Any) -> date:
    parsed = parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValidationFailed(
            f"`birth_date` must be a date (YYYY-MM-DD) in the years {EARLIEST} to {LATEST}"
        )
    return parsed


def date_time(value: Any, name: str) -> datetime | None:
    """An ISO 8601 date-time with a time zone, in UTC; None when absent. Years outside
    EARLIEST..LATEST are refused: at the calendar's ends the conversion overflows."""
    if value is None:
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValidationFailed(
            f"`{name}` must be an ISO 8601 date-time with a time zone, "
            f"in the years {EARLIEST} to {LATEST}"
        )
    return parsed


def _names(body: Mapping[str, Any], name: str, *, required: bool) -> frozenset[str]:
    value = body.get(name, [] if not required else None)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed(f"`{name}` must be a list of strings")
    if required and not value:
        raise ValidationFailed(f"`{name}` must not be empty")
    if len(value) > 50:
        raise ValidationFailed(f"`{name}` may hold at most 50 entries")
    return frozenset(value)


def _known_parties(
    request: web.Request, name: str, orgs: frozenset[str], types: frozenset[str]
) -> None:
    registry = request.app[ORGANISATIONS]
    if any(registry.get(o) is None for o in orgs):
        raise UnknownOrganisation(f"`{name}.organisations` names an unknown organisation")
    if types - set(request.app[VOCABULARY].organisation_types):
        raise UnknownOrganisation(f"`{name}.types` names an unknown organisation type")


def _known_regions(
    request: web.Request, regions: frozenset[str], recipient_types: frozenset[str]
) -> None:
    if regions and not recipient_types:
        raise ValidationFailed("`regions` only applies to `recipients.types`")
    if regions - {org.region for org in request.app[ORGANISATIONS]}:
        raise ValidationFailed("`regions` names a region no configured organisation is in")


def consent_scope(
    request: web.Request,
    *,
    purposes: Collection[str],
    categories: Collection[str],
    recipients: NamedParties,
    sources: NamedParties,
    regions: Collection[str],
) -> ConsentScope:
    """A declared consent body's scope, checked against the configuration in the order
    of `parse_scope` (the declaration already holds the lists' shapes and lengths)."""
    vocabulary = request.app[VOCABULARY]
    if set(purposes) - set(vocabulary.purposes):
        raise naming_valid_values(
            UnknownPurpose, "`purposes` names an unknown purpose", vocabulary.purposes
        )
    if set(categories) - set(vocabulary.categories):
        raise naming_valid_values(
            UnknownCategory, "`categories` names an unknown data category", vocabulary.categories
        )
    recipient_orgs = frozenset(recipients.organisations)
    recipient_types = frozenset(recipients.types)
    _known_parties(request, "recipients", recipient_orgs, recipient_types)
    if not recipient_orgs and not recipient_types:
        raise ValidationFailed("`recipients` must name at least one organisation or type")
    source_orgs = frozenset(sources.organisations)
    source_types = frozenset(sources.types)
    _known_parties(request, "sources", source_orgs, source_types)
    _known_regions(request, frozenset(regions), recipient_types)
    return ConsentScope(
        purposes=frozenset(purposes),
        categories=frozenset(categories),
        recipient_organisations=recipient_orgs,
        recipient_types=recipient_types,
        source_organisations=source_orgs,
        source_types=source_types,
        regions=frozenset(regions),
    )
