"""Vertrouwelijk (confidential entries): the entries hidden from the household, with the
rule that made each confidential and how long it has been; lifting one takes a note and
is itself audited (`audit.confidentiality_lifted`), after which the household's access
log shows the entry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from gateway.appkeys import AUDIT
from gateway.web.officer.forms import NoteForm, note_submit, queue_context
from gateway.web.officer.session import OfficerPage, officer_log, officer_page
from gateway.web.officer.views import entry_row, page

__all__ = ["confidential_page", "lift_submit"]

PAGE_SIZE = 50
PAGE = "/fg/vertrouwelijk"
LIFT = NoteForm(PAGE, "regel", "note_required", "already_lifted", "opgeheven")


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
            **queue_context(request, PAGE, result.next_cursor),
        },
        page_session,
    )


async def lift_submit(request: web.Request) -> web.Response:
    def complete(form: MultiDictProxy[str]) -> bool:
        return bool(form.get("note", "").strip())

    async def lift(page_session: OfficerPage, seq: int, form: MultiDictProxy[str]) -> None:
        await officer_log(request).lift(page_session.officer, seq, form["note"])

    return await note_submit(request, LIFT, complete, lift)
