"""Typed readers of one value of a policy rule, each reporting what is wrong with it.

Every reader adds a problem (naming the file and rule) instead of raising, so that
loading collects every problem of every file before it refuses the set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from policies.model import WILDCARD

_AMSTERDAM: Final = ZoneInfo("Europe/Amsterdam")
_SINGULAR: Final = {
    "requester_types": "requester type",
    "requester_roles": "role",
    "purposes": "purpose",
    "source_types": "source type",
    "categories": "category",
}


@dataclass
class Ctx:
    where: str
    problems: list[str]

    def add(self, message: str) -> None:
        self.problems.append(f"{self.where}: {message}")


def names(
    table: Mapping[str, Any],
    key: str,
    known: Sequence[str],
    ctx: Ctx,
    *,
    wildcard: bool,
    required: bool = True,
) -> frozenset[str]:
    value = table.get(key, [] if not required else None)
    if value is None:
        return frozenset()  # missing: reported by check_keys
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        ctx.add(f"'{key}' must be a list of strings")
        return frozenset()
    if required and not value:
        ctx.add(f"'{key}' must not be empty")
    allowed = set(known) | ({WILDCARD} if wildcard else set())
    for name in value:
        if name not in allowed:
            extra = " or '*'" if wildcard else ""
            ctx.add(f"unknown {_SINGULAR[key]} '{name}' (known: {', '.join(sorted(known))}{extra})")
    return frozenset(value)


def boolean(table: Mapping[str, Any], key: str, default: bool, ctx: Ctx) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        ctx.add(f"'{key}' must be true or false")
        return default
    return value


def whole(table: Mapping[str, Any], key: str, low: int, high: int, ctx: Ctx) -> int | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        ctx.add(f"'{key}' must be a whole number from {low} to {high}")
        return None
    return value


def instant(value: object, key: str, ctx: Ctx, *, end_of_day: bool) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            ctx.add(f"'{key}' must be a date or a date-time with a UTC offset")
            return None
        return int(value.timestamp())
    if isinstance(value, date):
        day = value + timedelta(days=1) if end_of_day else value
        return int(datetime(day.year, day.month, day.day, tzinfo=_AMSTERDAM).timestamp())
    ctx.add(f"'{key}' must be a date (YYYY-MM-DD)")
    return None
