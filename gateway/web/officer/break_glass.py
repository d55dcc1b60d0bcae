"""Doorbraken (break-the-glass): the queue of unreviewed uses, grouped by exchange, each
with the whole exchange; one review (verdict and note) per exchange covers every
break-the-glass decision in it. Uses older than the configured days stand out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from gateway.access.officer_log import VERDICTS, group_by_exchange, parse_seq
from gateway.appkeys import AUDIT, SETTINGS
from gateway.errors import GatewayError
from gateway.web.csrf import require_csrf
from gateway.web.officer.session import officer_log, officer_page
from gateway.web.officer.views import entry_row, page

__all__ = ["break_glass_page", "review_submit"]

QUEUE_SIZE = 200


def review_days(request: web.Request) -> int:
    """Days within which a break-the-glass use must be reviewed
    (`GATEWAY_BREAK_GLASS_REVIEW_DAYS`, 7)."""
    return request.app[SETTINGS].break_glass_review_days


async def break_glass_page(request: web.Request) -> web.Response:
    page_session = await officer_page(request)
    result = await officer_log(request).unreviewed(
        page_session.officer, limit=QUEUE_SIZE, cursor=request.query.get("cursor") or None
    )
    days = review_days(request)
    overdue_before = datetime.now(UTC) - timedelta(days=days)
    audit = request.app[AUDIT]
    exchanges: list[dict[str, Any]] = []
    for group in group_by_exchange(result.entries):
        first = min(group, key=lambda e: e.seq)
        exchanges.append(
            {
                "seq": first.seq,
                "request_id": first.request_id,
                "rows": [entry_row(e, audit, lifted=e.seq in result.lifted) for e in group],
                "overdue": first.time < overdue_before,
                "justification": audit.open_justification(first),
            }
        )
    exchanges.sort(key=lambda x: (not x["overdue"], x["seq"]))
    return page(
        request,
        "officer/break_glass.html",
        {
            "exchanges": exchanges,
            "days": days,
            "verdicts": VERDICTS,
            "done": request.query.get("klaar"),
            "error": request.query.get("fout"),
            "next_url": f"/fg/doorbraken?cursor={result.next_cursor}"
            if result.next_cursor
            else None,
        },
        page_session,
    )


async def review_submit(request: web.Request) -> web.Response:
    page_session = await officer_page(request)
    form = await require_csrf(request, page_session.token)
    seq = parse_seq(request.match_info["seq"])
    verdict, note = form.get("verdict", ""), form.get("note", "")
    if verdict not in VERDICTS or not note.strip():
        raise web.HTTPSeeOther(f"/fg/doorbraken?fout=incomplete#uitwisseling-{seq}")
    try:
        await officer_log(request).review_exchange(page_session.officer, seq, verdict, note)
    except GatewayError as error:
        if error.status == 409:
            raise web.HTTPSeeOther("/fg/doorbraken?fout=already_reviewed") from None
        raise
    raise web.HTTPSeeOther("/fg/doorbraken?klaar=beoordeeld")
