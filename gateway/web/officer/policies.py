"""Beleid (policies): the rule set in force, each rule in plain words; the difference
between two versions, by default the rules in force and another (typed or uploaded, the use-case of
`POST /api/v1/policies/compare`); the register of processing activities (AVG art. 30:
controller, purposes, data subjects, categories, recipients, transfers, retention
periods, security measures). The same use-cases as `GET /api/v1/policies`
(`gateway.insight.officer`), each logged before it answers. Version A of a comparison
is the rules in force unless the officer gives another (the `a_` fields).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from gateway.api.officer.insight import officer_insight
from gateway.errors import PayloadTooLarge, PolicyInvalid, TooManyRules
from gateway.insight.officer import OfficerInsight
from gateway.web.i18n import language_of
from gateway.web.officer.candidate import Candidate, read_candidates
from gateway.web.officer.session import OfficerPage, officer_log, officer_page
from gateway.web.officer.views import page
from policies.explain import condition_texts, rule_facts
from policies.model import Rule
from policies.simulation import RuleDiff

__all__ = ["compare_form", "compare_submit", "insight_of", "policies_page", "rule_view"]


def insight_of(request: web.Request) -> OfficerInsight:
    """The insight use-cases for a console page (logged as the page's officer)."""
    return officer_insight(request, officer_log(request))


#: The zone the loader reads a rule's validity dates in (`policies._parse`).
_RULES_ZONE = ZoneInfo("Europe/Amsterdam")


def _day(epoch: int | None, *, last: bool = False) -> str | None:
    """A validity bound as a day: `valid_from` its own day, `valid_until` (exclusive)
    the day before it, so the card reads "from ... to and including ..."."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch - 1 if last else epoch, _RULES_ZONE).date().isoformat()


def rule_view(rule: Rule, lang: str) -> dict[str, Any]:
    nl, en = condition_texts(rule)
    return {
        **rule_facts(rule),
        "text": rule.description_nl if lang == "nl" else rule.description_en,
        "conditions": nl if lang == "nl" else en,
        "valid_from": _day(rule.valid_from),
        "valid_until": _day(rule.valid_until, last=True),
        "max_duration_hours": rule.max_duration_hours,
        "min_justification_length": rule.min_justification_length,
    }


def diff_view(diff: RuleDiff, lang: str) -> dict[str, Any]:
    return {
        "empty": diff.empty,
        "added": [rule_view(r, lang) for r in diff.added],
        "removed": [rule_view(r, lang) for r in diff.removed],
        "changed": [
            {"before": rule_view(old, lang), "after": rule_view(new, lang), "keys": list(keys)}
            for old, new, keys in diff.changed
        ],
    }


async def _render(
    request: web.Request,
    page_session: OfficerPage,
    *,
    candidates: list[Candidate] | None = None,
    comparison: dict[str, Any] | None = None,
    problems: list[str] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    use_case = insight_of(request)
    policy_set = await use_case.policies(page_session.officer)
    lang = language_of(request)
    base, other = candidates if candidates else (None, None)
    return page(
        request,
        "officer/policies.html",
        {
            "version": policy_set.version,
            "files": policy_set.files,
            "rules": [rule_view(r, lang) for r in policy_set.rules],
            "register": use_case.register,
            "comparison": comparison,
            "problems": problems or [],
            "errors": errors or [],
            "base": base,
            "candidate": other,
        },
        page_session,
        status=status,
    )


async def policies_page(request: web.Request) -> web.Response:
    page_session = await officer_page(request)
    return await _render(request, page_session)


async def compare_form(request: web.Request) -> web.Response:
    """The comparison's address opened (a reload, the language switch): to the form."""
    await officer_page(request)  # a household session: 403 here too
    raise web.HTTPSeeOther("/fg/beleid#vergelijken")


async def compare_submit(request: web.Request) -> web.Response:
    """The comparison form, posted: version A (the rules in force, or another) and
    version B; the difference on the same page, or every problem of the version that
    does not load listed (422; 413 for one too large), never a 500."""
    page_session = await officer_page(request)
    try:
        base, other = await read_candidates(request, page_session.token, ("a_", ""))
    except PayloadTooLarge:
        return await _render(request, page_session, errors=["too_large"], status=413)
    candidates = [base, other]
    errors = [f"a_{e}" for e in base.errors] + other.errors
    if errors:
        return await _render(
            request, page_session, candidates=candidates, errors=errors, status=400
        )
    use_case = insight_of(request)
    base_texts = None if base.current else base.texts
    failed = "a_"  # which version did not load, to say so apart
    try:
        if base_texts is not None:
            use_case.candidate(base_texts)
        failed = ""
        found = await use_case.compare(page_session.officer, other.texts, base_texts)
    except (PolicyInvalid, TooManyRules, PayloadTooLarge) as error:
        key = "too_large" if isinstance(error, PayloadTooLarge) else "invalid"
        key = "too_many" if isinstance(error, TooManyRules) else key
        problems = [str(p) for p in error.extra.get("errors", [])]
        return await _render(
            request, page_session, candidates=candidates, errors=[failed + key],
            problems=problems, status=error.status,
        )  # fmt: skip
    lang = language_of(request)
    comparison = {
        "base_version": found.base.version,
        "other_version": found.other.version,
        "base_is_in_force": base_texts is None,
        "diff": diff_view(found.diff, lang),
    }
    return await _render(request, page_session, candidates=candidates, comparison=comparison)
