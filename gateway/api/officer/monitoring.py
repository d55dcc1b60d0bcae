"""The privacy officer's monitoring routes: misuse signals and monitoring statistics.

Same callers, scope and logging as every officer route (`audit._officer`: a household
session is refused as 403). Each handler calls one
use-case in `gateway.insight` and shapes the JSON.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.api.describe import answer, problems
from gateway.api.officer import insight_schema as schema
from gateway.api.officer.audit import _officer
from gateway.api.officer.insight import insight
from gateway.errors import InvalidFilter
from gateway.http.bodies import json_response
from gateway.insight.officer import METHOD

__all__ = ["OPENAPI", "setup"]


async def list_signals(request: web.Request) -> web.Response:
    principal = await _officer(request)
    if request.query:
        raise InvalidFilter("No query parameters are accepted here")
    found = await insight(request).signals(principal)
    return json_response(
        {
            "window": {
                "from": found.since.isoformat().replace("+00:00", "Z"),
                "to": found.until.isoformat().replace("+00:00", "Z"),
            },
            "signals": [s.to_json() for s in found.signals],
        }
    )


async def statistics(request: web.Request) -> web.Response:
    principal = await _officer(request)
    unknown = set(request.query) - {"from", "to", "organisation"}
    if unknown:
        raise InvalidFilter("Only `from`, `to` and `organisation` are accepted here")
    query = request.query
    view = await insight(request).statistics(
        principal, query.get("from"), query.get("to"), query.get("organisation")
    )
    result, protection = view.answer, view.protection
    return json_response(
        {
            "method": METHOD,
            "threshold": protection.threshold,
            "rounding_base": protection.base,
            "quarters": [str(q) for q in view.quarters],
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
