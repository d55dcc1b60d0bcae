"""The signal query's form of the working hours (whole UTC hours as an `IN` list, ragged
ends as ranges) says "inside" for exactly the moments the intervals contain."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from gateway.audit.signals import _split_hours
from gateway.insight.config import WorkingHours
from gateway.insight.signals import working_intervals

SINCE = datetime(2026, 3, 20, tzinfo=UTC)  # spans the switch to summer time
UNTIL = SINCE + timedelta(days=14)

clock = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@given(clock, clock, st.sets(st.integers(1, 7), min_size=1), st.integers(0, 14 * 24 * 60 - 1))
def test_the_split_form_agrees_with_the_intervals(
    start: time, end: time, days: set[int], minute: int
) -> None:
    if not start < end:
        return
    hours = WorkingHours(start=start, end=end, days=frozenset(days))
    intervals = working_intervals(hours, SINCE, UNTIL)
    whole, ragged = _split_hours(intervals)
    at = SINCE + timedelta(minutes=minute, seconds=7)
    expected = any(a <= at < b for a, b in intervals)
    split = at.strftime("%Y-%m-%d %H") in whole or any(a <= at < b for a, b in ragged)
    assert split == expected
