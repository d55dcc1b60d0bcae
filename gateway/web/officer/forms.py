"""The officer's note forms: a queue page (break-the-glass reviews, confidential entries)
whose rows each take a posted note, and that page's outcome after the post.

`note_submit` is the post: the officer's page session, the form's CSRF token, the row's
seq from the path; an incomplete form sends the officer back to the row, an act already
done by someone else (409) back to the page with that said, success back with a thank-you.
`queue_context` is what the page shows of that outcome, and its next page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from gateway.access.officer_log import parse_seq
from gateway.errors import GatewayError
from gateway.web.csrf import require_csrf
from gateway.web.officer.session import OfficerPage, officer_page

__all__ = ["NoteForm", "note_submit", "queue_context"]


@dataclass(frozen=True)
class NoteForm:
    page: str  # the queue page, e.g. /fg/doorbraken
    anchor: str  # the row's id on it, before `-{seq}`
    incomplete: str  # `fout=` when the form lacks what it needs
    conflict: str  # `fout=` when the act was done already (409)
    done: str  # `klaar=` after success


async def note_submit(
    request: web.Request,
    form_of: NoteForm,
    complete: Callable[[MultiDictProxy[str]], bool],
    act: Callable[[OfficerPage, int, MultiDictProxy[str]], Awaitable[object]],
) -> web.Response:
    """Check the page session and the form's CSRF token, then `act` on the row's seq
    when the form is `complete`; always answers with a redirect back to the page."""
    page_session = await officer_page(request)
    form = await require_csrf(request, page_session.token)
    seq = parse_seq(request.match_info["seq"])
    if not complete(form):
        raise web.HTTPSeeOther(f"{form_of.page}?fout={form_of.incomplete}#{form_of.anchor}-{seq}")
    try:
        await act(page_session, seq, form)
    except GatewayError as error:
        if error.status == 409:
            raise web.HTTPSeeOther(f"{form_of.page}?fout={form_of.conflict}") from None
        raise
    raise web.HTTPSeeOther(f"{form_of.page}?klaar={form_of.done}")


def queue_context(request: web.Request, page: str, next_cursor: str | None) -> dict[str, Any]:
    """The outcome of the last post (`done`, `error`) and the link to the next page."""
    return {
        "done": request.query.get("klaar"),
        "error": request.query.get("fout"),
        "next_url": f"{page}?cursor={next_cursor}" if next_cursor else None,
    }
