"""Metrics at the edge: every answer counted by route template and status, and the
`/metrics` endpoint on its own port.

`count_requests` is the outermost middleware, so it sees the status the client got
(problems included). Its route label is the matched route's template
(`/api/v1/consents/{id}`), `unmatched` when no route matched: a raw path (which may hold
an id) never becomes a label. The method label is one of the HTTP methods or `other`.

`metrics_app` serves `GET /metrics` in the Prometheus text format on a separate
listener (`GATEWAY_METRICS_HOST`:`GATEWAY_METRICS_PORT`, 127.0.0.1 by default); with
`GATEWAY_METRICS_TOKEN_FILE` it asks for `Authorization: Bearer <token>`. Rendering a
scrape takes each metric's lock only long enough to copy its values, on a worker
thread, so a scrape never holds up a request.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.appkeys import METRICS
from gateway.metrics import METHODS, OTHER, Metrics

__all__ = ["count_requests", "metrics_app", "route_label"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def route_label(request: web.Request) -> str:
    """The matched route's template, or `unmatched`."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    metrics = request.app.get(METRICS)
    if metrics is None:
        return await handler(request)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        method = request.method if request.method in METHODS else OTHER
        metrics.observe_request(
            route_label(request), method, str(status), time.perf_counter() - started
        )


def metrics_app(metrics: Metrics, *, token: str | None = None) -> web.Application:
    """The metrics listener's app: `GET /metrics`, nothing else."""

    async def scrape(request: web.Request) -> web.Response:
        if token is not None:
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return web.Response(
                    status=401,
                    text="unauthorized\n",
                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                )
        body = await asyncio.to_thread(generate_latest, metrics.registry)
        response = web.Response(body=body)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        response.headers["Cache-Control"] = "no-store"
        return response

    app = web.Application()
    app.router.add_get("/metrics", scrape)
    return app
