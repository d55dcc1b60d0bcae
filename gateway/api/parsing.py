"""Parsing request values against the vocabulary: one-line text, purposes, BSNs as
pseudonyms, dates, and a consent's scope (400 with the gateway's codes otherwise)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from aiohttp import web

from consent import ConsentScope
from gateway.appkeys import ORGANISATIONS, PSEUDONYMISER, VOCABULARY
from gateway.errors import UnknownCategory, UnknownOrganisation, UnknownPurpose, ValidationFailed
from gateway.http.inputs import EARLIEST, LATEST, clean_text, parse_date, parse_datetime

__all__ = [
    "birth_date",
    "bsn_of",
    "optional_datetime",
    "parse_scope",
    "pseudonym",
    "query_purpose",
    "string",
]


def string(body: Mapping[str, Any], name: str, *, required: bool = True, limit: int = 200) -> str:
    """A one-line text field: non-empty, at most `limit` characters, no control characters."""
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or not clean_text(value, limit):
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
        raise UnknownPurpose("`purpose` is not a known purpose")
    return value


def pseudonym(request: web.Request, value: Any) -> str:
    """A BSN (elfproef-checked; `invalid_bsn` otherwise) as its keyed pseudonym."""
    return request.app[PSEUDONYMISER].pseudonym(value if isinstance(value, str) else "")


def bsn_of(body: Mapping[str, Any], name: str) -> Any:
    """`{"bsn": "..."}` or a bare string."""
    value = body.get(name)
    return value.get("bsn") if isinstance(value, dict) else value


def birth_date(value: Any) -> date:
    parsed = parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValidationFailed(
            f"`birth_date` must be a date (YYYY-MM-DD) in the years {EARLIEST} to {LATEST}"
        )
    return parsed


def optional_datetime(body: Mapping[str, Any], name: str) -> datetime | None:
    """An ISO 8601 date-time with a time zone, in UTC; None when absent. Years outside
    EARLIEST..LATEST are refused: at the calendar's ends the conversion overflows."""
    value = body.get(name)
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


def _parties(
    body: Mapping[str, Any], name: str, request: web.Request
) -> tuple[frozenset[str], frozenset[str]]:
    value = body.get(name, {})
    if not isinstance(value, dict) or set(value) - {"organisations", "types"}:
        raise ValidationFailed(f"`{name}` must be an object with `organisations` and/or `types`")
    orgs = _names(value, "organisations", required=False)
    types = _names(value, "types", required=False)
    registry = request.app[ORGANISATIONS]
    if any(registry.get(o) is None for o in orgs):
        raise UnknownOrganisation(f"`{name}.organisations` names an unknown organisation")
    if types - set(request.app[VOCABULARY].organisation_types):
        raise UnknownOrganisation(f"`{name}.types` names an unknown organisation type")
    return orgs, types


def parse_scope(request: web.Request, body: Mapping[str, Any]) -> ConsentScope:
    vocabulary = request.app[VOCABULARY]
    purposes = _names(body, "purposes", required=True)
    if purposes - set(vocabulary.purposes):
        raise UnknownPurpose("`purposes` names an unknown purpose")
    categories = _names(body, "categories", required=True)
    if categories - set(vocabulary.categories):
        raise UnknownCategory("`categories` names an unknown data category")
    if "recipients" not in body:
        raise ValidationFailed("`recipients` is required")
    recipient_orgs, recipient_types = _parties(body, "recipients", request)
    if not recipient_orgs and not recipient_types:
        raise ValidationFailed("`recipients` must name at least one organisation or type")
    source_orgs, source_types = _parties(body, "sources", request)
    regions = _names(body, "regions", required=False)
    if regions and not recipient_types:
        raise ValidationFailed("`regions` only applies to `recipients.types`")
    if regions - {org.region for org in request.app[ORGANISATIONS]}:
        raise ValidationFailed("`regions` names a region no configured organisation is in")
    return ConsentScope(
        purposes=purposes,
        categories=categories,
        recipient_organisations=recipient_orgs,
        recipient_types=recipient_types,
        source_organisations=source_orgs,
        source_types=source_types,
        regions=regions,
    )
