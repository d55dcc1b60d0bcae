"""Statistieken (monitoring statistics): per unit (the officer's organisation, or each
region of a regional office) and quarter, the figures of the national monitor, as the
use-case of `GET /api/v1/statistics` publishes them (`gateway.insight.officer`):
suppressed below the threshold (shown as suppressed, with why), cell-key rounded, the
method named. A GET form (nothing changes): the quarters and, to drill down, one
organisation within the officer's scope (another is 403, as in the API).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from gateway.appkeys import INSIGHT, ORGANISATIONS, VOCABULARY
from gateway.errors import Forbidden, InvalidFilter
from gateway.insight.monitor import Quarter
from gateway.insight.officer import METHOD, StatisticsView
from gateway.insight.statistics import MEASURES, BaseCell
from gateway.web.officer.policies import insight_of
from gateway.web.officer.session import OfficerPage, officer_page
from gateway.web.officer.views import page

__all__ = ["statistics_page"]

CHOICES = 12  # quarters offered in the form, back from this one
_PARAMS = ("from", "to", "organisation")


def _quarters_offered(request: web.Request) -> list[str]:
    at = Quarter.of(datetime.now(UTC), request.app[INSIGHT].working_hours.zone)
    found = [at]
    for _ in range(CHOICES - 1):
        year, number = (at.year, at.number - 1) if at.number > 1 else (at.year - 1, 4)
        at = Quarter(year, number)
        found.append(at)
    return [str(q) for q in found]


def _tables(request: web.Request, view: StatisticsView) -> list[dict[str, Any]]:
    published = view.answer.published
    purposes = sorted(p for p in request.app[VOCABULARY].purposes if p != "monitoring")
    measures = [*MEASURES, *(f"exchanges:{p}" for p in purposes)]
    quarters = [str(q) for q in view.quarters]
    registry = request.app[ORGANISATIONS]
    tables = []
    for unit in sorted({cell.unit for cell in published}):
        org = registry.get(unit)
        rows = []
        for measure in measures:
            values = [published.get(BaseCell(unit, q, measure), 0) for q in quarters]
            rows.append(
                {
                    "measure": measure,
                    "values": values,
                    "total": view.answer.totals.get((unit, measure), 0),
                }
            )
        tables.append(
            {
                "unit": unit,
                "name": org.name if org is not None else unit,
                "is_region": org is None,
                "rows": rows,
            }
        )
    return tables


async def statistics_page(request: web.Request) -> web.Response:
    page_session = await officer_page(request)
    query = {k: v for k, v in request.query.items() if k in _PARAMS and v}
    errors: list[str] = []
    if set(request.query) - set(_PARAMS):
        errors.append("invalid_filter")
    view: StatisticsView | None = None
    status = 200
    if not errors:
        try:
            view = await insight_of(request).statistics(
                page_session.officer, query.get("from"), query.get("to"), query.get("organisation")
            )
        except (InvalidFilter, Forbidden) as error:
            errors.append("forbidden" if isinstance(error, Forbidden) else "invalid_filter")
            status = error.status
    else:
        status = 400
    return _render(request, page_session, query, view, errors, status)


def _render(
    request: web.Request,
    page_session: OfficerPage,
    query: dict[str, str],
    view: StatisticsView | None,
    errors: list[str],
    status: int,
) -> web.Response:
    scope = insight_of(request).scope(page_session.officer)
    allowed = scope.organisations or frozenset()
    registry = request.app[ORGANISATIONS]
    organisations = sorted(
        ((o.id, o.name) for o in registry if o.id in allowed), key=lambda p: p[1]
    )
    offered = _quarters_offered(request)
    tables = _tables(request, view) if view is not None else []
    suppressed = sum(1 for t in tables for row in t["rows"] for v in row["values"] if v is None)
    config = request.app[INSIGHT].statistics
    return page(
        request,
        "officer/statistics.html",
        {
            "values": query,
            "errors": errors,
            "quarters_offered": offered,
            "organisations": organisations,
            "tables": tables,
            "quarters": [str(q) for q in view.quarters] if view is not None else [],
            "threshold": view.protection.threshold if view is not None else config.threshold,
            "base": view.protection.base if view is not None else config.rounding_base,
            "method": METHOD,
            "suppressed": suppressed,
            "current_from": str(view.first) if view is not None else offered[0],
            "current_to": str(view.last) if view is not None else offered[0],
        },
        page_session,
        status=status,
    )
