"""Signalen (misuse signals): each signal of the last weeks within the officer's scope
(the use-case of `GET /api/v1/signals`, `gateway.insight.officer`), explained in plain
words and linked to its entries: a log search (`/fg/logboek`) filtered by the signal's
organisation, professional and time window (and its decision or break-the-glass), so
the link lands on exactly the entries the signal counted, plus the newest entries
themselves.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from gateway.web.i18n import language_of
from gateway.web.officer.policies import insight_of
from gateway.web.officer.session import officer_page
from gateway.web.officer.views import page, when

__all__ = ["log_url", "signals_page"]


def log_url(filters: dict[str, str]) -> str:
    """The console's log search with these filters (the parameters of `/fg/logboek`)."""
    return "/fg/logboek?" + urlencode(sorted(filters.items()))


async def signals_page(request: web.Request) -> web.Response:
    page_session = await officer_page(request)
    found = await insight_of(request).signals(page_session.officer)
    lang = language_of(request)
    signals: list[dict[str, Any]] = [
        {
            "kind": s.kind,
            "organisation": s.organisation,
            "professional": s.professional,
            "count": s.count,
            "text": s.explanation_nl if lang == "nl" else s.explanation_en,
            "log_url": log_url(s.filters),
            "seqs": s.seqs,
        }
        for s in found.signals
    ]
    return page(
        request,
        "officer/signals.html",
        {"signals": signals, "since": when(found.since), "until": when(found.until)},
        page_session,
    )
