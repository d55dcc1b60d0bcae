"""Working hours as UTC intervals: each local day converted on its own (DST included)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from gateway.insight.config import WorkingHours
from gateway.insight.signals import working_intervals

HOURS = WorkingHours()  # 07:00-19:00, Monday to Friday, Europe/Amsterdam


def test_the_intervals_follow_daylight_saving_time() -> None:
    # Summer time started on Sunday 29 March 2026.
    since, until = datetime(2026, 3, 26, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    intervals = working_intervals(HOURS, since, until)
    starts = [start for start, _ in intervals]
    assert datetime(2026, 3, 27, 6, 0, tzinfo=UTC) in starts  # Friday, winter time
    assert datetime(2026, 3, 30, 5, 0, tzinfo=UTC) in starts  # Monday, summer time
    assert not any(start.date().isoformat() in ("2026-03-28", "2026-03-29") for start in starts)


def test_only_the_configured_days_and_hours_count() -> None:
    sundays = WorkingHours(start=time(10, 0), end=time(12, 0), days=frozenset({7}))
    since, until = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 15, tzinfo=UTC)
    intervals = working_intervals(sundays, since, until)
    assert [(a.isoformat(), b.isoformat()) for a, b in intervals] == [
        ("2026-01-04T09:00:00+00:00", "2026-01-04T11:00:00+00:00"),
        ("2026-01-11T09:00:00+00:00", "2026-01-11T11:00:00+00:00"),
    ]
