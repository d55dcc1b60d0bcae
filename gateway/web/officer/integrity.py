"""Integriteit (integrity): the chain's state as last verified, the newest signed
checkpoint, a cut or a change if one was found, a re-verify button (rate-limited per
officer and overall: `VERIFY_LIMITER`), and how to verify an export offline.

Verifying reads the whole chain, so the page shows the last result of this instance
(kept in memory, `LAST_VERIFICATION`) rather than verifying at every view; the button
verifies again (audited `audit.verify`), then comes back here (POST, redirect, GET).
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from gateway.access.officer_log import Verification, verify_key
from gateway.appkeys import LAST_VERIFICATION, VERIFY_LIMITER
from gateway.web.csrf import require_csrf
from gateway.web.officer.session import officer_log, officer_page
from gateway.web.officer.views import page, when

__all__ = ["integrity_page", "verify_now"]


async def integrity_page(request: web.Request) -> web.Response:
    page_session = await officer_page(request)
    checkpoints = await officer_log(request).checkpoints(page_session.officer, limit=1)
    last: Verification | None = request.app[LAST_VERIFICATION].last
    report = last.report if last is not None else None
    problem = None
    if report is not None and report.problems:
        first = min(report.problems, key=lambda p: p.seq)
        problem = {"seq": first.seq, "kind": first.kind, "count": len(report.problems)}
    return page(
        request,
        "officer/integrity.html",
        {
            "report": report,
            "verified_at": when(last.at) if last is not None else None,
            "problem": problem,
            "checkpoint": checkpoints[0] if checkpoints else None,
            "checkpoint_time": when(checkpoints[0].time) if checkpoints else None,
            "notice": request.query.get("melding"),
        },
        page_session,
    )


async def verify_now(request: web.Request) -> web.Response:
    page_session = await officer_page(request)
    await require_csrf(request, page_session.token)
    if not request.app[VERIFY_LIMITER].take(verify_key(page_session.officer)):
        raise web.HTTPSeeOther("/fg/integriteit?melding=rate_limited")
    report = await officer_log(request).verify(page_session.officer)
    request.app[LAST_VERIFICATION].last = Verification(datetime.now(UTC), report)
    raise web.HTTPSeeOther("/fg/integriteit?melding=verified")
