"""Doorbraken (break-the-glass): the queue of unreviewed uses, grouped by exchange, each
with the whole exchange; one review (verdict and note) per exchange covers every
break-the-glass decision in it. Uses older than the configured days stand out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from gateway.access.officer_log import VERDICTS, group_by_exchange
from gateway.appkeys import AUDIT, SETTINGS
from gateway.web.officer.forms import NoteForm, note_submit, queue_context
from gateway.web.officer.session import OfficerPage, officer_log, officer_page
from gateway.web.officer.views import entry_row, page

__all__ = ["break_glass_page", "review_submit"]

QUEUE_SIZE = 200
PAGE = "/fg/doorbraken"
REVIEW = NoteForm(PAGE, "uitwisseling", "incomplete", "already_reviewed", "beoordeeld")


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
            **queue_context(request, PAGE, result.next_cursor),
        },
        page_session,
    )


async def review_submit(request: web.Request) -> web.Response:
    def complete(form: MultiDictProxy[str]) -> bool:
        return form.get("verdict", "") in VERDICTS and bool(form.get("note", "").strip())

    async def review(page_session: OfficerPage, seq: int, form: MultiDictProxy[str]) -> None:
        await officer_log(request).review_exchange(
            page_session.officer, seq, form["verdict"], form["note"]
        )

    return await note_submit(request, REVIEW, complete, review)
