"""Statistical disclosure control of the monitoring figures, over random data and random
overlapping queries: what an attacker who sees every published figure can infer.

The attacker's knowledge of a base cell is the interval of true counts consistent with
its published value (derived here from the method's definition, not from the code);
of a union of cells, the sum of those intervals. The tests check the code keeps every
true count inside its interval, that no union of cells with a true count in
(0, threshold) is pinned to one value, that the figures do not move when a small cell
changes, and that a cell is published the same in every query (nothing to average).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hypothesis import given
from hypothesis import strategies as st
from strategies import protections, statistics_cells

from gateway.insight.statistics import BaseCell, Protection, protect, total


def interval(value: int | None, protection: Protection) -> tuple[int, int]:
    """True counts consistent with a published value, by the method's definition."""
    if value is None:
        return 1, protection.threshold - 1
    if value == 0:
        return 0, 0
    return max(protection.threshold, value - protection.base + 1), value + protection.base - 1


def knowledge(
    published: Mapping[BaseCell, int | None], cells: Iterable[BaseCell], protection: Protection
) -> tuple[int, int]:
    low = high = 0
    for cell in cells:
        a, b = interval(published[cell], protection)
        low, high = low + a, high + b
    return low, high


@given(statistics_cells(), protections())
def test_every_published_cell_is_zero_suppressed_or_a_rounded_large_count(
    cells: dict[BaseCell, frozenset[str]], protection: Protection
) -> None:
    published = protect(cells, protection)
    for cell, records in cells.items():
        value, true = published[cell], len(records)
        low, high = interval(value, protection)
        assert low <= true <= high
        if 0 < true < protection.threshold:
            assert value is None
        if value is not None and value > 0:
            assert value % protection.base == 0 and true >= protection.threshold


@given(statistics_cells(), protections(), st.data())
def test_no_difference_of_two_overlapping_queries_pins_a_small_count(
    cells: dict[BaseCell, frozenset[str]], protection: Protection, data: st.DataObject
) -> None:
    published = protect(cells, protection)
    keys = sorted(cells)
    first = set(data.draw(st.lists(st.sampled_from(keys), unique=True), label="first query"))
    second = set(data.draw(st.lists(st.sampled_from(keys), unique=True), label="second query"))
    # The attacker sees both totals and every base cell; the difference of the two totals
    # is the published sum over the cells in one query and not in the other.
    assert total(published, first) - total(published, second) == total(
        published, first - second
    ) - total(published, second - first)
    for differing in (first - second, second - first, first ^ second):
        true = sum(len(cells[c]) for c in differing)
        low, high = knowledge(published, differing, protection)
        assert low <= true <= high
        if 0 < true < protection.threshold:
            assert high > low, "a small count is pinned"


@given(statistics_cells(), protections(), st.data())
def test_changing_a_small_cell_changes_no_published_figure(
    cells: dict[BaseCell, frozenset[str]], protection: Protection, data: st.DataObject
) -> None:
    small = [c for c, r in cells.items() if 0 < len(r) < protection.threshold]
    if not small:
        return
    target = data.draw(st.sampled_from(sorted(small)))
    size = data.draw(st.integers(1, protection.threshold - 1))
    changed = {**cells, target: frozenset(f"other_{i}" for i in range(size))}
    before, after = protect(cells, protection), protect(changed, protection)
    assert before == after
    assert total(before, cells) == total(after, changed)


@given(statistics_cells(), protections(), st.data())
def test_a_cell_is_published_the_same_in_every_query(
    cells: dict[BaseCell, frozenset[str]], protection: Protection, data: st.DataObject
) -> None:
    subset = data.draw(st.lists(st.sampled_from(sorted(cells)), unique=True, min_size=1))
    whole = protect(cells, protection)
    part = protect({c: cells[c] for c in subset}, protection)
    assert all(part[c] == whole[c] for c in subset)
    assert protect(cells, protection) == whole  # asked again: the same, nothing to average


def test_rounding_is_unbiased_over_many_cells() -> None:
    """Random rounding (not always down): over many cells of 12 the mean stays near 12."""
    protection = Protection(b"k" * 32, threshold=10, base=5)
    cells = {
        BaseCell(f"unit-{n}", "2026-Q1", "households_supported"): frozenset(
            f"hh_{n}_{i}" for i in range(12)
        )
        for n in range(2000)
    }
    values = [v for v in protect(cells, protection).values() if v is not None]
    assert set(values) == {10, 15}
    assert abs(sum(values) / len(values) - 12) < 0.3
