"""Vertrouwelijk (confidential entries): the entries hidden from the household, with the
rule that made each confidential and how long it has been; lifting one takes a note and
is itself audited (`audit.confidentiality_lifted`), after which the household's access
log shows the entry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from gateway.access.officer_log import parse_seq
from gateway.appkeys import AUDIT
from gateway.errors import GatewayError
from gateway.web.csrf import require_csrf
from gateway.web.officer.session import officer_log, officer_page
from gateway.web.officer.views import entry_row, page

__all__ = ["confidential_page", "lift_submit"]

PAGE_SIZE = 50


async def confidential_page(request: web.Request) -> web.Response:
    page_session = await officer_page(request)
    result = await officer_log(request).confidential(
        page_session.officer, limit=PAGE_SIZE, cursor=request.query.get("cursor") or None
    )
    audit = request.app[AUDIT]
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for entry in result.entries:
        row = entry_row(entry, audit, lifted=entry.seq in result.lifted)
        row["days"] = max(0, (now - entry.time).days)
        rows.append(row)
    return page(
        request,
        "officer/confidential.html",
        {
            "rows": rows,
            "done": request.query.get("klaar"),
            "error": request.query.get("fout"),
            "next_url": f"/fg/vertrouwelijk?cursor={result.next_cursor}"
            if result.next_cursor
            else None,
        },
        page_session,
    )


async def lift_submit(request: web.Request) -> web.Response:
    page_session = await officer_page(request)
    form = await require_csrf(request, page_session.token)
    seq = parse_seq(request.match_info["seq"])
    note = form.get("note", "")
    if not note.strip():
        raise web.HTTPSeeOther(f"/fg/vertrouwelijk?fout=note_required#regel-{seq}")
    try:
        await officer_log(request).lift(page_session.officer, seq, note)
    except GatewayError as error:
        if error.status == 409:
            raise web.HTTPSeeOther("/fg/vertrouwelijk?fout=already_lifted") from None
        raise
    raise web.HTTPSeeOther("/fg/vertrouwelijk?klaar=opgeheven")
