"""Turning a JSON body into an `ExchangeRequest`, or a precise 4xx before anything is read.

An exchange is always about one person, so a purpose that yields aggregate figures only
(`aggregates_only` in the vocabulary, e.g. `monitoring`) is refused here (422
`aggregates_only_purpose`): even a count of one or zero says something about that person.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from consent import CASE_REFERENCE
from gateway.errors import (
    AggregatesOnlyPurpose,
    JustificationRequired,
    UnknownCategory,
    UnknownPurpose,
    UnknownSource,
    ValidationFailed,
)
from gateway.exchange.model import ExchangeRequest
from gateway.http.subjects import validate_bsn

__all__ = ["parse_exchange_request"]

_KEYS = {"subject", "purpose", "categories", "sources", "case_reference", "break_glass"}
MAX_TEXT = 2000


def parse_exchange_request(
    body: Mapping[str, Any],
    *,
    purposes: Collection[str],
    break_glass_purposes: Collection[str],
    aggregates_only_purposes: Collection[str],
    categories: Collection[str],
    sources: Collection[str],
    max_categories: int,
) -> ExchangeRequest:
    unknown = sorted(set(body) - _KEYS)
    if unknown:
        raise ValidationFailed(f"Unknown field(s): {', '.join(unknown)}")
    subject = body.get("subject")
    if not isinstance(subject, dict) or set(subject) != {"bsn"}:
        raise ValidationFailed('`subject` must be {"bsn": "<nine digits>"}')
    bsn = validate_bsn(subject["bsn"])
    purpose = body.get("purpose")
    if not isinstance(purpose, str):
        raise ValidationFailed("`purpose` must be a string")
    if purpose not in purposes:
        raise UnknownPurpose("`purpose` is not a known purpose")
    if purpose in aggregates_only_purposes:
        raise AggregatesOnlyPurpose(
            f"Purpose {purpose} yields aggregate figures only, never an exchange about one "
            "person; ask GET /api/v1/statistics for them"
        )
    wanted = _names(body.get("categories"), "categories", max_categories)
    if wanted is None:
        raise ValidationFailed("`categories` is required")
    bad = [c for c in wanted if c not in categories]
    if bad:
        raise UnknownCategory(f"Unknown categor{'y' if len(bad) == 1 else 'ies'}: {', '.join(bad)}")
    chosen = _names(body.get("sources"), "sources", 50)
    if chosen is not None:
        missing = [s for s in chosen if s not in sources]
        if missing:
            raise UnknownSource(f"Unknown source(s): {', '.join(missing)}")
    case_reference = body.get("case_reference")
    if case_reference is not None and (
        not isinstance(case_reference, str) or not CASE_REFERENCE.match(case_reference)
    ):
        raise ValidationFailed(
            "`case_reference` must be 1-64 letters, digits or -_./: (a registered case's reference)"
        )
    justification = _justification(body.get("break_glass"))
    if purpose in break_glass_purposes and justification is None:
        raise JustificationRequired(
            f"Purpose {purpose} is break-the-glass: send break_glass.justification"
        )
    if purpose not in break_glass_purposes and justification is not None:
        raise ValidationFailed("`break_glass` only applies to a break-the-glass purpose")
    return ExchangeRequest(
        bsn=bsn,
        purpose=purpose,
        categories=wanted,
        sources=chosen,
        case_reference=case_reference if isinstance(case_reference, str) else None,
        justification=justification,
    )


def _names(value: Any, field_name: str, limit: int) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed(f"`{field_name}` must be a list of strings")
    if not value:
        raise ValidationFailed(f"`{field_name}` must not be empty")
    if len(value) > limit:
        raise ValidationFailed(f"`{field_name}` may hold at most {limit} entries")
    if len(set(value)) != len(value):
        raise ValidationFailed(f"`{field_name}` has duplicates")
    return tuple(value)


def _justification(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"justification"}:
        raise ValidationFailed('`break_glass` must be {"justification": "..."}')
    text = value["justification"]
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise ValidationFailed(f"`break_glass.justification` must be text of at most {MAX_TEXT}")
    text = text.strip()
    if not text:
        raise JustificationRequired("`break_glass.justification` is empty")
    return text
