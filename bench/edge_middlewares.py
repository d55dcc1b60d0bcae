"""Benchmark: what the two new outermost middlewares cost a request.

Run: .venv/bin/python bench/edge_middlewares.py [--requests N] [--rounds R]

`count_requests` (Prometheus: route template, method, status, latency) and
`pin_generation` (the configuration generation a request sees) wrap every request.
Baseline: a trivial handler called directly. New: the same handler through both
middlewares, on an app with the real metrics registry and live configuration (the
repository's config/). No HTTP, no database: only the middlewares' own cost shows. Rounds
are interleaved (base, new, base, new, ...) so a load change hits both; printed are the
microseconds per request of each and the ratio new/base, median [min-max].
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from aiohttp import web  # noqa: E402
from aiohttp.test_utils import make_mocked_request  # noqa: E402

from gateway.appkeys import LIVE_CONFIG, METRICS  # noqa: E402
from gateway.config_reload import (  # noqa: E402
    Generation,
    LiveConfiguration,
    LivePolicies,
    load_organisations,
    pin_generation,
)
from gateway.http.metrics import count_requests  # noqa: E402
from gateway.metrics import Metrics  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


async def handler(request: web.Request) -> web.StreamResponse:
    return web.Response(text="ok")


async def build() -> web.Request:
    app = web.Application()
    app.router.add_get("/api/v1/consents/{consent_id}", handler)
    policies = LivePolicies(REPO / "config")
    vocabulary = policies.policy_set.vocabulary
    registry = load_organisations(REPO / "config", REPO / "var-bench", vocabulary)
    live = LiveConfiguration(
        config_dir=REPO / "config",
        data_dir=REPO / "var-bench",
        vocabulary=vocabulary,
        first=Generation(1, registry, policies.engine),
    )
    app[METRICS] = Metrics()
    app[LIVE_CONFIG] = live
    probe = make_mocked_request("GET", "/api/v1/consents/c_1", app=app)
    match_info = await app.router.resolve(probe)
    request = make_mocked_request("GET", "/api/v1/consents/c_1", app=app)
    match_info.add_app(app)
    request._match_info = match_info  # the real route, as aiohttp resolves it
    assert request.match_info.route.resource is not None
    return request


async def main(requests: int, rounds: int) -> None:
    request = await build()
    pin = pin_generation(lambda app: app.get(LIVE_CONFIG))

    async def through_both(r: web.Request) -> web.StreamResponse:
        return await count_requests(r, lambda inner: pin(inner, handler))

    base_us: list[float] = []
    new_us: list[float] = []
    for _ in range(rounds):
        for target, results in ((handler, base_us), (through_both, new_us)):
            started = time.perf_counter()
            for _ in range(requests):
                await target(request)
            results.append((time.perf_counter() - started) / requests * 1e6)
    ratios = [n / b for n, b in zip(new_us, base_us, strict=True)]
    print(f"base  {statistics.median(base_us):7.2f} us/request")
    print(f"new   {statistics.median(new_us):7.2f} us/request")
    print(
        f"ratio new/base {statistics.median(ratios):.2f} "
        f"[{min(ratios):.2f}-{max(ratios):.2f}] over {rounds} rounds of {requests}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.rounds))
