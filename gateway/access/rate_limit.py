"""A sliding-window rate limit per key and overall, in this process's memory.

For work that is expensive for everyone (re-verifying the whole audit chain): each key
(an officer) may do it `per_key` times a minute, and all keys together `overall` times.
Per instance: with several gateway instances the overall limit is per instance.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

__all__ = ["RateLimiter"]

WINDOW = 60.0
MAX_KEYS = 10_000  # forget the oldest keys beyond this (memory stays bounded)


class RateLimiter:
    def __init__(
        self, per_key: int, overall: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_key = per_key
        self.overall = overall
        self._clock = clock
        self._all: deque[float] = deque()
        self._by_key: dict[str, deque[float]] = {}

    def take(self, key: str) -> bool:
        """Count one use by `key` and say yes, or say no and count nothing."""
        now = self._clock()
        _expire(self._all, now)
        mine = self._by_key.get(key)
        if mine is not None:
            _expire(mine, now)
        if mine is not None and len(mine) >= self.per_key:
            return False
        if len(self._all) >= self.overall:
            return False
        if mine is None:
            if len(self._by_key) >= MAX_KEYS:
                self._by_key.pop(next(iter(self._by_key)))
            mine = self._by_key[key] = deque()
        mine.append(now)
        self._all.append(now)
        return True


def _expire(stamps: deque[float], now: float) -> None:
    while stamps and stamps[0] <= now - WINDOW:
        stamps.popleft()
