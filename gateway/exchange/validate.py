"""Turning a decoded `ExchangeRequest` body into the pipeline's `ExchangeRequest`, or a
precise 4xx before anything is read.

The body's shape is its declaration (`gateway.exchange.schema`, checked while decoding);
here come the checks the configuration decides, in this order: the BSN's elfproef
(`invalid_bsn`), the purpose (`unknown_purpose`), the categories (`unknown_category`,
at most `max_categories`, no duplicates), the sources (`unknown_source`), the case
reference's form, and break-the-glass (`justification_required`).

An exchange is always about one person, so a purpose that yields aggregate figures only
(`aggregates_only` in the vocabulary, e.g. `monitoring`) is refused here (422
`aggregates_only_purpose`): even a count of one or zero says something about that person.
"""

from __future__ import annotations

from collections.abc import Collection

from consent import CASE_REFERENCE
from gateway.errors import (
    AggregatesOnlyPurpose,
    JustificationRequired,
    UnknownCategory,
    UnknownPurpose,
    UnknownSource,
    ValidationFailed,
    naming_valid_values,
)
from gateway.exchange import schema
from gateway.exchange.model import ExchangeRequest
from gateway.http.subjects import validate_bsn

__all__ = ["MAX_SOURCES", "exchange_request"]

MAX_SOURCES = 50


def exchange_request(
    body: schema.ExchangeRequest,
    *,
    purposes: Collection[str],
    break_glass_purposes: Collection[str],
    aggregates_only_purposes: Collection[str],
    categories: Collection[str],
    sources: Collection[str],
    max_categories: int,
) -> ExchangeRequest:
    bsn = validate_bsn(body.subject.bsn)
    purpose = body.purpose
    if purpose not in purposes:
        raise naming_valid_values(UnknownPurpose, "`purpose` is not a known purpose", purposes)
    if purpose in aggregates_only_purposes:
        raise AggregatesOnlyPurpose(
            f"Purpose {purpose} yields aggregate figures only, never an exchange about one "
            "person; ask GET /api/v1/statistics for them"
        )
    wanted = _names(body.categories, "categories", max_categories)
    bad = [c for c in wanted if c not in categories]
    if bad:
        raise naming_valid_values(
            UnknownCategory,
            f"Unknown categor{'y' if len(bad) == 1 else 'ies'}: {', '.join(bad)}",
            categories,
        )
    chosen = None if body.sources is None else _names(body.sources, "sources", MAX_SOURCES)
    if chosen is not None:
        missing = [s for s in chosen if s not in sources]
        if missing:
            raise naming_valid_values(
                UnknownSource, f"Unknown source(s): {', '.join(missing)}", sources
            )
    case_reference = body.case_reference
    if case_reference is not None and not CASE_REFERENCE.match(case_reference):
        raise ValidationFailed(
            "`case_reference` must be 1-64 letters, digits or -_./: (a registered case's reference)"
        )
    justification = _justification(body.break_glass)
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
        case_reference=case_reference,
        justification=justification,
    )


def _names(value: list[str], field_name: str, limit: int) -> tuple[str, ...]:
    if not value:  # the declaration says so too; kept for a caller that built the body
        raise ValidationFailed(f"`{field_name}` must not be empty")
    if len(value) > limit:
        raise ValidationFailed(f"`{field_name}` may hold at most {limit} entries")
    if len(set(value)) != len(value):
        raise ValidationFailed(f"`{field_name}` has duplicates")
    return tuple(value)


def _justification(value: schema.BreakGlass | None) -> str | None:
    if value is None:
        return None
    text = value.justification.strip()
    if not text:
        raise JustificationRequired("`break_glass.justification` is empty")
    return text
