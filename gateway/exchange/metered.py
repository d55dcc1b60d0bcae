"""The exchange's ports with metrics around them: per-source latency and outcome, and
every decision by purpose, decision and reason (counted once the audit log took it).

Wrappers, not changes: a `MeteredAdapter` is a `SourceAdapter` that times its inner
adapter; a `MeteredAccessLog` is an `AccessLog` that counts what its inner log recorded.
Label values are closed sets (`gateway.metrics.closed`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection, Sequence
from typing import Any

from adapters.base import CategoryRecords, FetchRequest, SourceAdapter
from adapters.errors import SourceUnavailable
from gateway.exchange.model import AccessRecord
from gateway.exchange.pipeline import AccessLog, ExchangeMeta
from gateway.metrics import Metrics, closed
from policies import REASONS

__all__ = ["MeteredAccessLog", "MeteredAdapter"]

_DECISIONS = frozenset({"permit", "deny"})
_REASONS = frozenset({*REASONS, "none"})


class MeteredAdapter:
    """A `SourceAdapter` that reports how long its source took and how it ended."""

    def __init__(self, inner: SourceAdapter, metrics: Metrics) -> None:
        self.source_id = inner.source_id
        self._inner = inner
        self._seconds = metrics.source_seconds.labels(inner.source_id)
        self._outcomes = {
            outcome: metrics.source_fetches.labels(inner.source_id, outcome)
            for outcome in ("ok", "unavailable", "timeout", "error")
        }

    @property
    def inner(self) -> SourceAdapter:
        return self._inner

    def __getattr__(self, name: str) -> Any:  # `timeout`, `aclose`, ... of the inner one
        return getattr(self._inner, name)

    async def fetch(self, request: FetchRequest) -> CategoryRecords:
        started = time.perf_counter()
        outcome = "error"
        try:
            answer = await self._inner.fetch(request)
            outcome = "ok"
            return answer
        except SourceUnavailable:
            outcome = "unavailable"
            raise
        except (asyncio.CancelledError, TimeoutError):
            outcome = "timeout"
            raise
        finally:
            self._seconds.observe(time.perf_counter() - started)
            self._outcomes[outcome].inc()


class MeteredAccessLog:
    """An `AccessLog` that counts each recorded decision."""

    def __init__(self, inner: AccessLog, metrics: Metrics, purposes: Collection[str]) -> None:
        self._inner = inner
        self._metrics = metrics
        self._purposes = frozenset(purposes)
        self._counters: dict[tuple[str, str, str], Any] = {}

    async def record(self, meta: ExchangeMeta, records: Sequence[AccessRecord]) -> Sequence[int]:
        seqs = await self._inner.record(meta, records)
        purpose = closed(meta.purpose, self._purposes)
        for record in records:
            key = (
                purpose,
                closed(record.decision, _DECISIONS),
                closed(record.reason or "none", _REASONS),
            )
            counter = self._counters.get(key)
            if counter is None:  # the label sets are closed and small: kept
                counter = self._counters[key] = self._metrics.decisions.labels(*key)
            counter.inc()
        return seqs
