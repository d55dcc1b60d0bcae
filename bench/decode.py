"""Benchmark: decoding an exchange body, before and after the bodies were declared.

Run: .venv/bin/python bench/decode.py [--bodies N] [--rounds R]

Baseline (a copy below, as it was): `json.loads` with the constant guard, the tree
check (depth, NUL, lone surrogates), then the hand-written `parse_exchange_request`.
New: `gateway.http.bodies.decode_body(raw, ExchangeRequest)` (bytes straight into the
msgspec Struct when they hold no `\\u` escape, else the full way) and then
`exchange_request` with the configuration's checks. Both sides get the same realistic
bodies (five categories, two sources, a case reference; a tenth of them with a
`\\u` escape, which takes the full way); rounds are interleaved (old, new, old,
new, ...) so a load change hits both, and the ratio old/new of each round is printed
as median [min-max]. Both must answer the same `ExchangeRequest`s (checked first).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from consent import CASE_REFERENCE  # noqa: E402
from gateway.errors import (  # noqa: E402
    AggregatesOnlyPurpose,
    JustificationRequired,
    UnknownCategory,
    UnknownPurpose,
    UnknownSource,
    ValidationFailed,
)
from gateway.exchange.model import ExchangeRequest  # noqa: E402
from gateway.exchange.schema import ExchangeRequest as ExchangeBody  # noqa: E402
from gateway.exchange.validate import exchange_request  # noqa: E402
from gateway.http import bodies  # noqa: E402
from gateway.http.subjects import validate_bsn  # noqa: E402

# -- the baseline: parse_exchange_request as it was before the declarations ------------

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
        raise AggregatesOnlyPurpose(f"Purpose {purpose} yields aggregate figures only")
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
        raise ValidationFailed("`case_reference` must be 1-64 letters, digits or -_./:")
    justification = _justification(body.get("break_glass"))
    if purpose in break_glass_purposes and justification is None:
        raise JustificationRequired(f"Purpose {purpose} is break-the-glass")
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


# -- the run ----------------------------------------------------------------------------

CATEGORIES = ["contact_details", "support_plan", "health", "school", "income", "housing"]
SOURCES = ["wijkteam-utrecht", "veilig-thuis-utrecht", "gi-jeugdbescherming-demo"]
CONFIG: dict[str, Any] = {
    "purposes": {"support_planning", "safety_assessment", "acute_safety"},
    "break_glass_purposes": {"acute_safety"},
    "aggregates_only_purposes": {"monitoring"},
    "categories": set(CATEGORIES),
    "sources": set(SOURCES),
    "max_categories": 50,
}


def _bodies(count: int) -> list[bytes]:
    out = []
    for n in range(count):
        body = {
            "subject": {"bsn": "999990019"},
            "purpose": "support_planning",
            "categories": CATEGORIES[n % 2 : n % 2 + 5],
            "sources": SOURCES[:2],
            "case_reference": f"zaak-2026-{n:05d}",
        }
        text = json.dumps(body)
        if n % 10 == 0:  # a tenth with an escape (`z` as `\\u007a`): these take the full way
            text = text.replace('"zaak', '"\\u007aaak')
        out.append(text.encode())
    return out


def old(raw: bytes) -> ExchangeRequest:
    body = json.loads(raw, parse_constant=bodies._no_constant)
    bodies._check_tree(body)
    return parse_exchange_request(body, **CONFIG)


def new(raw: bytes) -> ExchangeRequest:
    return exchange_request(bodies.decode_body(raw, ExchangeBody), **CONFIG)


def _time(decode: Callable[[bytes], ExchangeRequest], raws: list[bytes]) -> float:
    start = time.perf_counter()
    for raw in raws:
        decode(raw)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    raws = _bodies(args.bodies)
    assert [old(r) for r in raws] == [new(r) for r in raws], "the two sides disagree"
    ratios, olds, news = [], [], []
    for _ in range(args.rounds):
        t_old, t_new = _time(old, raws), _time(new, raws)
        olds.append(t_old)
        news.append(t_new)
        ratios.append(t_old / t_new)
    per = 1e6 / args.bodies
    print(f"{args.bodies} bodies x {args.rounds} interleaved rounds")
    print(
        f"old (json.loads + tree check + parse_exchange_request): "
        f"{statistics.median(olds) * per:.2f} us/body"
    )
    print(
        f"new (decode_body into the Struct + exchange_request):  "
        f"{statistics.median(news) * per:.2f} us/body"
    )
    print(f"ratio old/new: {statistics.median(ratios):.2f} "
          f"[{min(ratios):.2f}-{max(ratios):.2f}]")  # fmt: skip


if __name__ == "__main__":
    main()
