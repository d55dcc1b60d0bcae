"""The gateway's Prometheus metrics: declared once, with closed label sets.

Every label value comes from a closed set: a route template (never a raw path), an HTTP
status, a purpose, category or organisation id from the loaded configuration, a reason
from the policy model, a fixed outcome word. Anything outside its set is counted as
`other`, so no label can carry personal data or a free-form value. The registry belongs
to the app (no process-global state); `gateway/http/metrics.py` serves it on its own port.

With several processes (`gateway serve --workers N`) each process has its own registry
and its own metrics port (`GATEWAY_METRICS_PORT` + worker index); scrape every port.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["METHODS", "OTHER", "Metrics", "closed"]

OTHER = "other"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Outcomes of a source fetch, of a JWKS fetch, of a reload.
SOURCE_OUTCOMES = frozenset({"ok", "unavailable", "timeout", "error"})
JWKS_OUTCOMES = frozenset(
    {"ok", "not_modified", "http_error", "invalid", "too_large", "timeout", "unreachable"}
)
RELOAD_RESULTS = frozenset({"success", "failure"})

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


def closed(value: object, allowed: Collection[str]) -> str:
    """`value` if it is one of `allowed`, else `other`: no label leaves its set."""
    return value if isinstance(value, str) and value in allowed else OTHER


class _PoolCollector(Collector):
    """Database pool usage, read at scrape time from the engine's pool (if any)."""

    def __init__(self, pool_status: Callable[[], dict[str, int] | None]) -> None:
        self._pool_status = pool_status

    def collect(self) -> Iterator[GaugeMetricFamily]:
        status = self._pool_status()
        family = GaugeMetricFamily(
            "gateway_db_pool_connections",
            "Database connections of this process's pool, by state",
            labels=["state"],
        )
        for state, value in sorted((status or {}).items()):
            family.add_metric([state], value)
        yield family


class Metrics:
    """The metrics one gateway process exposes (its own `CollectorRegistry`)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "gateway_http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=r,
        )
        self.request_seconds = Histogram(
            "gateway_http_request_seconds",
            "Time to answer an HTTP request, by route template",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.decisions = Counter(
            "gateway_exchange_decisions",
            "Exchange decisions (one per source x category), by purpose, decision and reason",
            ["purpose", "decision", "reason"],
            registry=r,
        )
        self.commit_seconds = Histogram(
            "gateway_group_commit_seconds",
            "Time to commit one batch (audit_append, replay_check)",
            ["name"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.commit_batch = Histogram(
            "gateway_group_commit_batch_size",
            "Items per committed batch (audit_append, replay_check)",
            ["name"],
            buckets=_BATCH_BUCKETS,
            registry=r,
        )
        self.commit_failures = Counter(
            "gateway_group_commit_failures",
            "Batches whose commit failed (callers answered 503)",
            ["name"],
            registry=r,
        )
        self.source_seconds = Histogram(
            "gateway_source_fetch_seconds",
            "Time a source system took to answer, by source organisation",
            ["source"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.source_fetches = Counter(
            "gateway_source_fetches",
            "Fetches from source systems, by source organisation and outcome",
            ["source", "outcome"],
            registry=r,
        )
        self.reloads = Counter(
            "gateway_config_reloads",
            "Configuration reloads (organisations, keys, policies), by result",
            ["result"],
            registry=r,
        )
        self.reload_failing = Gauge(
            "gateway_config_reload_failing",
            "1 while the last reload failed and the last good configuration is in force",
            registry=r,
        )
        self.generation = Gauge(
            "gateway_config_generation",
            "The configuration generation in force (1 at start, +1 per successful reload)",
            registry=r,
        )
        self.last_reload_success = Gauge(
            "gateway_config_last_success_timestamp_seconds",
            "When the configuration in force was loaded (Unix time)",
            registry=r,
        )
        self.jwks_fetches = Counter(
            "gateway_jwks_fetches",
            "Fetches of organisations' jwks_uri, by organisation and outcome",
            ["organisation", "outcome"],
            registry=r,
        )
        self.jwks_keys = Gauge(
            "gateway_jwks_keys",
            "Keys from an organisation's jwks_uri currently in force",
            ["organisation"],
            registry=r,
        )
        for result in sorted(RELOAD_RESULTS):
            self.reloads.labels(result)  # both series exist from the start (rate() works)
        self._per_request: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._pool_status: Callable[[], dict[str, int] | None] = lambda: None
        r.register(_PoolCollector(lambda: self._pool_status()))

    def observe_request(self, route: str, method: str, status: str, seconds: float) -> None:
        """Count one answered request (children cached: the label sets are closed, small)."""
        key = (route, method, status)
        children = self._per_request.get(key)
        if children is None:
            children = (
                self.requests.labels(route, method, status),
                self.request_seconds.labels(route),
            )
            self._per_request[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def watch_pool(self, status: Callable[[], dict[str, int] | None]) -> None:
        """Read the database pool's usage from `status` at every scrape."""
        self._pool_status = status

    def group_commit(self, name: str) -> Callable[[int, float, bool], None]:
        """An observer for one `GroupCommit` (batch size, seconds, committed or not)."""
        seconds = self.commit_seconds.labels(name)
        sizes = self.commit_batch.labels(name)
        failures = self.commit_failures.labels(name)

        def observe(size: int, elapsed: float, ok: bool) -> None:
            if ok:
                seconds.observe(elapsed)
                sizes.observe(size)
            else:
                failures.inc()

        return observe


def pool_status(pool: Any) -> dict[str, int] | None:
    """A SQLAlchemy pool's usage, where the pool reports it (QueuePool does)."""
    try:
        return {
            "size": int(pool.size()),
            "checked_out": int(pool.checkedout()),
            "overflow": max(int(pool.overflow()), 0),
            "idle": int(pool.checkedin()),
        }
    except (AttributeError, TypeError):
        return None
