"""Simulatie (simulation): a candidate rule set (typed or uploaded, `candidate.py`) and
a period; the recorded decisions of that period within the officer's scope are replayed
through it (the use-case of `POST /api/v1/policies/simulate`, `gateway.insight.officer`)
and the page lists those that would change, permit to deny and back, with the rule
that made the difference: a summary counting every change, then the first `SHOWN`
changes one by one. The form is a CSRF-checked POST; the answer is shown at once (a
simulation is a calculation that changes nothing, and is itself logged).

Bad input is said on the page with a 4xx status, never a 500: every loader problem of
an invalid rule set (422), one too large (413) or with too many rules or files (422),
a wrong period (400), one too long or with too many decisions (422).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aiohttp import web

from gateway.api.officer.insight import summary
from gateway.errors import (
    PayloadTooLarge,
    PolicyInvalid,
    SimulationPeriodTooLong,
    TooManyDecisions,
    TooManyRules,
)
from gateway.insight.simulation import Simulation
from gateway.web.i18n import language_of
from gateway.web.officer.candidate import Candidate, read_candidate
from gateway.web.officer.policies import insight_of
from gateway.web.officer.session import OfficerPage, officer_page
from gateway.web.officer.views import page, when

__all__ = ["SHOWN", "simulate_submit", "simulation_page"]

SHOWN = 200  # changes listed one by one on the page (the summary counts every one)
DEFAULT_DAYS = 30


def _period(form: Any) -> tuple[str, str]:
    today = datetime.now(UTC).date()
    start = (form.get("from") if form is not None else None) or str(
        today - timedelta(days=DEFAULT_DAYS)
    )
    end = (form.get("to") if form is not None else None) or str(today)
    return start, end


def _parse_period(start: str, end: str) -> tuple[datetime, datetime] | None:
    """[from 00:00 UTC, the day after `to` 00:00 UTC): `to` is included."""
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        return None
    try:
        since = datetime.combine(first, time(), UTC)
        until = datetime.combine(last + timedelta(days=1), time(), UTC)
    except OverflowError:  # `to` is the last day there is (9999-12-31)
        return None
    return (since, until) if since < until else None


def _result(found: Simulation, lang: str) -> dict[str, Any]:
    changes = found.result.changes
    shown = []
    for change in changes[:SHOWN]:
        r = change.recorded
        shown.append(
            {
                "seq": r.seq,
                "when": when(r.at),
                "purpose": r.purpose,
                "requester_type": r.requester_type,
                "source_type": r.source_type,
                "category": r.category,
                "direction": change.direction,
                "recorded": r.decision,
                "recorded_rules": list(r.rule_ids),
                "outcome": change.outcome,
                "rules": list(change.rule_ids),
                "reason": change.reason,
                "why": change.explanation_nl if lang == "nl" else change.explanation_en,
            }
        )
    diff = found.diff
    return {
        "candidate_version": found.candidate_version,
        "in_force_version": found.in_force_version,
        "replayed": found.result.replayed,
        "unreplayable": found.unreplayable,
        "total": len(changes),
        "summary": summary(changes),
        "changes": shown,
        "undetermined": len(found.result.undetermined),
        "diff": {
            "added": len(diff.added),
            "removed": len(diff.removed),
            "changed": len(diff.changed),
        },
    }


def _render(
    request: web.Request,
    page_session: OfficerPage,
    *,
    candidate: Candidate | None = None,
    result: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    start, end = _period(candidate.form if candidate is not None else None)
    return page(
        request,
        "officer/simulation.html",
        {
            "candidate": candidate,
            "result": result,
            "errors": errors or [],
            "problems": problems or [],
            "period_from": start,
            "period_to": end,
            "shown_max": SHOWN,
        },
        page_session,
        status=status,
    )


async def simulation_page(request: web.Request) -> web.Response:
    page_session = await officer_page(request)
    return _render(request, page_session)


async def simulate_submit(request: web.Request) -> web.Response:
    page_session = await officer_page(request)
    try:
        candidate = await read_candidate(request, page_session.token)
    except PayloadTooLarge:
        return _render(request, page_session, errors=["too_large"], status=413)
    errors = list(candidate.errors)
    period = _parse_period(*_period(candidate.form))
    if period is None:
        errors.append("period")
    if errors:
        return _render(request, page_session, candidate=candidate, errors=errors, status=400)
    assert period is not None
    try:
        found = await insight_of(request).simulate(page_session.officer, candidate.texts, *period)
    except (PolicyInvalid, TooManyRules) as error:
        problems = [str(p) for p in error.extra.get("errors", [])]
        key = "too_many" if isinstance(error, TooManyRules) else "invalid"
        return _render(
            request, page_session, candidate=candidate, errors=[key], problems=problems,
            status=error.status,
        )  # fmt: skip
    except PayloadTooLarge as error:
        return _render(
            request, page_session, candidate=candidate, errors=["too_large"], status=error.status
        )
    except (SimulationPeriodTooLong, TooManyDecisions) as error:
        key = error.code.removeprefix("simulation_")
        return _render(
            request, page_session, candidate=candidate, errors=[key], status=error.status
        )
    result = _result(found, language_of(request))
    return _render(request, page_session, candidate=candidate, result=result)
