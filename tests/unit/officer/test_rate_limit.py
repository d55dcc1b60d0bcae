"""The re-verify rate limit: per key and overall, a sliding minute, nothing counted
when refused."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.access.rate_limit import WINDOW, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_per_key_then_a_minute_later_again() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 100, clock=clock)
    assert limiter.take("a") and limiter.take("a")
    assert not limiter.take("a")
    assert limiter.take("b")  # another officer is not held back
    clock.now += WINDOW
    assert limiter.take("a")


def test_overall_limit_holds_across_keys() -> None:
    limiter = RateLimiter(5, 3, clock=Clock())
    assert [limiter.take(k) for k in "abcd"] == [True, True, True, False]


@given(st.lists(st.tuples(st.sampled_from("abc"), st.floats(0, 30)), max_size=60))
def test_never_more_than_allowed_in_any_minute(steps: list[tuple[str, float]]) -> None:
    clock = Clock()
    limiter = RateLimiter(2, 4, clock=clock)
    granted: list[tuple[str, float]] = []
    for key, wait in steps:
        clock.now += wait
        if limiter.take(key):
            granted.append((key, clock.now))
    for _, at in granted:
        window = [(k, t) for k, t in granted if at - WINDOW < t <= at]
        assert len(window) <= 4
        for key in "abc":
            assert sum(1 for k, _ in window if k == key) <= 2
