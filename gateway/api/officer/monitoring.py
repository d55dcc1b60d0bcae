"""The privacy officer's monitoring routes: misuse signals and monitoring statistics.

Same callers, scope and logging as every officer route (`insight._officer_only`, which
is `audit._officer` with a household session refused as 403). Each handler calls one
use-case in `gateway.insight` and shapes the JSON.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from gateway.access.officer_log import Officer
from gateway.api.describe import answer, problems
from gateway.api.officer import insight_schema as schema
from gateway.api.officer.audit import officer_log
from gateway.api.officer.insight import _officer_only
from gateway.appkeys import ENGINE, INSIGHT, KEYS, ORGANISATIONS, VOCABULARY
from gateway.audit.monitoring import counted_entries
from gateway.audit.query import Scope
from gateway.audit.signals import SignalQueries
from gateway.errors import Forbidden, InvalidFilter
from gateway.http.bodies import json_response
from gateway.insight.monitor import Quarter, base_cells, figures
from gateway.insight.signals import find_signals
from gateway.insight.statistics import Protection
from policies.vocabulary import REGIONAL_PRIVACY_OFFICER

__all__ = ["OPENAPI", "setup"]

METHOD = (
    "Suppression below the threshold plus cell-key random rounding (ABS/Destatis cell-key "
    "method): docs/statistics.md"
)


async def list_signals(request: web.Request) -> web.Response:
    principal, scope = await _officer_only(request)
    if request.query:
        raise InvalidFilter("No query parameters are accepted here")
    config = request.app[INSIGHT]
    now = datetime.now(UTC)
    signals = await find_signals(
        SignalQueries(request.app[ENGINE]), scope, now, config.signals, config.working_hours
    )
    await officer_log(request).log(
        principal,
        "audit.query",
        details={"view": "signals", "results": str(len(signals))},
    )
    since = now.timestamp() - config.signals.window_days * 86400
    return json_response(
        {
            "window": {
                "from": datetime.fromtimestamp(since, UTC).isoformat().replace("+00:00", "Z"),
                "to": now.isoformat().replace("+00:00", "Z"),
            },
            "signals": [s.to_json() for s in signals],
        }
    )


def _units(request: web.Request, principal: Officer, scope: Scope) -> dict[str, str]:
    """Organisation id -> the unit whose figures it counts in."""
    registry = request.app[ORGANISATIONS]
    allowed = scope.organisations or frozenset()
    wanted = request.query.get("organisation")
    if wanted is not None:
        if wanted not in allowed:
            raise Forbidden("Figures of that organisation are not yours to see")
        return {wanted: wanted}
    if principal.role == REGIONAL_PRIVACY_OFFICER:
        return {o.id: o.region for o in registry if o.id in allowed}
    return {org: org for org in allowed}


async def statistics(request: web.Request) -> web.Response:
    principal, scope = await _officer_only(request)
    unknown = set(request.query) - {"from", "to", "organisation"}
    if unknown:
        raise InvalidFilter("Only `from`, `to` and `organisation` are accepted here")
    config = request.app[INSIGHT]
    zone = config.working_hours.zone
    today = Quarter.of(datetime.now(UTC), zone)
    first = Quarter.parse(request.query.get("from", str(today)))
    last = Quarter.parse(request.query.get("to", str(today)))
    if first is None or last is None or last < first:
        raise InvalidFilter("`from` and `to` must be quarters such as 2026-Q1, in order")
    quarters = first.span(last)
    if len(quarters) > config.statistics.max_quarters:
        raise InvalidFilter(f"At most {config.statistics.max_quarters} quarters at once")
    units = _units(request, principal, scope)
    entries = await counted_entries(
        request.app[ENGINE], units, quarters[0].start(zone), quarters[-1].next().start(zone)
    )
    purposes = sorted(p for p in request.app[VOCABULARY].purposes if p != "monitoring")
    types = {o.id: o.type for o in request.app[ORGANISATIONS]}
    cells = base_cells(entries, units, types, quarters, purposes, zone)
    secret = hmac.new(
        request.app[KEYS].pseudonym_secret, b"gateway-statistics-cell-key/v1", hashlib.sha256
    ).digest()
    protection = Protection(secret, config.statistics.threshold, config.statistics.rounding_base)
    result = figures(cells, protection)
    await officer_log(request).log(
        principal,
        "audit.query",
        details={"view": "statistics", "from": str(first), "to": str(last)},
    )
    return json_response(
        {
            "method": METHOD,
            "threshold": protection.threshold,
            "rounding_base": protection.base,
            "quarters": [str(q) for q in quarters],
            "cells": [
                {
                    "unit": c.unit,
                    "quarter": c.quarter,
                    "measure": c.measure,
                    "value": v,
                    "suppressed": v is None,
                }
                for c, v in sorted(result.published.items())
            ],
            "totals": [
                {"unit": unit, "measure": measure, "value": value}
                for (unit, measure), value in result.totals.items()
            ],
        }
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/signals", list_signals)
    app.router.add_get("/api/v1/statistics", statistics)


# --- OpenAPI ------------------------------------------------------------------------------

_ERRORS = problems(400, 401, 403, 503)


def _q(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string"},
    }


OPENAPI: dict[str, dict[str, Any]] = {
    "/api/v1/signals": {
        "get": {
            "operationId": "listMisuseSignals",
            "summary": "Misuse signals over the last weeks, each explained and linked to its "
            "entries; itself audited",
            "tags": ["audit"],
            "responses": {
                "200": answer(
                    schema.SignalList,
                    "Signals",
                    schema.SignalList(
                        window=schema.Period("2026-01-01T00:00:00Z", "2026-01-29T00:00:00Z"),
                        signals=[],
                    ),
                ),
                **_ERRORS,
            },
        }
    },
    "/api/v1/statistics": {
        "get": {
            "operationId": "monitoringStatistics",
            "summary": "Monitoring figures per unit and quarter, small counts suppressed and "
            "protected against differencing; itself audited",
            "tags": ["statistics"],
            "parameters": [
                _q("from", "First quarter, e.g. 2026-Q1 (default: this quarter)"),
                _q("to", "Last quarter (default: this quarter)"),
                _q("organisation", "One organisation within your scope"),
            ],
            "responses": {
                "200": answer(
                    schema.Statistics,
                    "Protected figures",
                    schema.Statistics(
                        method=METHOD,
                        threshold=10,
                        rounding_base=5,
                        quarters=["2026-Q1"],
                        cells=[],
                        totals=[],
                    ),
                ),
                **_ERRORS,
            },
        }
    },
}
