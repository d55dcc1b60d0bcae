"""Het logboek (the access log): search with filters, page through, open one entry with
the whole exchange it belongs to, export as CSV. Every search and every opened entry is
itself audited (`gateway.access.officer_log`, the same use-cases as the JSON API).

A BSN never goes in a URL (browser history, proxies): the search form is a POST
(CSRF-checked) that pseudonymises the BSN at once (elfproef first) and redirects to the
results with the pseudonym (`subject=ps_...`) in its place. Every other filter is a
plain GET parameter, so a result page can be bookmarked and paged.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from gateway.access.officer_log import csv_text, entry_view, parse_seq
from gateway.appkeys import AUDIT, ORGANISATIONS, PSEUDONYMISER, VOCABULARY
from gateway.audit.query import FILTER_PARAMS, AuditFilters, parse_filters, parse_limit
from gateway.errors import GatewayError
from gateway.http.subjects import is_valid_bsn
from gateway.web.csrf import CSRF_FIELD, require_csrf
from gateway.web.officer.session import officer_log, officer_page
from gateway.web.officer.views import entry_row, org_choices, page

__all__ = ["entry_page", "log_csv", "log_page", "log_search"]

PAGE_SIZE = 50
CSV_LIMIT = 10_000
#: The form's fields, in order: (parameter, catalogue key of its label).
TEXT_FILTERS = ("professional", "case")
PAGE_FILTERS = tuple(p for p in FILTER_PARAMS if p not in ("bsn", "request_id"))
_PSEUDONYM = re.compile(r"^ps_[0-9a-f]{40}$")
#: `bsn=` of a results URL: only ever these markers (the form's POST put them there).
_BSN_ERRORS = {"invalid": "bsn", "in_url": "bsn_in_url"}


def _filters(request: web.Request) -> tuple[AuditFilters, dict[str, str], list[str]]:
    """The query's filters, the values to show in the form, and the fields that are wrong."""
    params = {k: v.strip() for k, v in request.query.items() if k in (*PAGE_FILTERS, "subject")}
    params = {k: v for k, v in params.items() if v}
    unknown = set(request.query) - {*PAGE_FILTERS, "subject", "cursor", "limit"}
    errors = [] if "bsn" not in unknown else [_BSN_ERRORS.get(request.query["bsn"], "bsn")]
    errors += ["query"] if unknown - {"bsn"} else []
    subject = params.pop("subject", None)
    if subject is not None and not _PSEUDONYM.match(subject):
        errors.append("subject")
    app = request.app
    orgs = app[ORGANISATIONS].ids()
    for name, value in params.items():  # which field is wrong, for the error summary
        try:
            parse_filters({name: value}, pseudonym=app[PSEUDONYMISER].pseudonym, organisations=orgs)
        except GatewayError:
            errors.append(name)
    if errors:
        return AuditFilters(), params, errors
    try:
        filters = parse_filters(params, pseudonym=app[PSEUDONYMISER].pseudonym, organisations=orgs)
    except GatewayError:  # each field parses alone: `from` after `to`
        return AuditFilters(), params, ["to"]
    if subject is not None:
        filters = replace(filters, subject=subject)
        params["subject"] = subject
    return filters, params, []


async def log_page(request: web.Request) -> web.Response:
    page_session = await officer_page(request)
    if request.query.get("bsn", "invalid") not in _BSN_ERRORS:
        # A BSN typed into the address: never echoed (not even in the language link).
        rest = [(k, v) for k, v in request.query.items() if k != "bsn"]
        raise web.HTTPSeeOther("/fg/logboek?" + urlencode([*rest, ("bsn", "in_url")]))
    filters, values, errors = _filters(request)
    cursor = request.query.get("cursor") or None
    rows: list[dict[str, Any]] = []
    next_url = None
    if not errors:
        try:
            result = await officer_log(request).search(
                page_session.officer, filters, limit=PAGE_SIZE, cursor=cursor, form="page"
            )
        except GatewayError as error:
            if error.status != 400:  # invalid_cursor: say so on the page; anything else: raise
                raise
            errors = ["cursor"]
        else:
            labels_needed = request.app[AUDIT]
            rows = [
                entry_row(e, labels_needed, lifted=e.seq in result.lifted) for e in result.entries
            ]
            if result.next_cursor:
                next_url = "/fg/logboek?" + urlencode({**values, "cursor": result.next_cursor})
    query = urlencode(values)
    return page(
        request,
        "officer/log.html",
        {
            "values": values,
            "errors": errors,
            "rows": rows,
            "next_url": next_url,
            "first_url": ("/fg/logboek?" + query) if cursor else None,
            "csv_url": "/fg/logboek.csv" + (("?" + query) if query else ""),
            "searched": bool(values),
            "organisations": org_choices(request),
            "purposes": sorted(request.app[VOCABULARY].purposes),
        },
        page_session,
        status=400 if errors else 200,
    )


async def log_search(request: web.Request) -> web.Response:
    """The search form, posted: the BSN pseudonymised at the edge, then to the results."""
    page_session = await officer_page(request)
    form = await require_csrf(request, page_session.token)
    values = {
        k: v.strip() for k, v in form.items() if k in PAGE_FILTERS and k != CSRF_FIELD and v.strip()
    }
    kept = form.get("subject", "")
    if _PSEUDONYM.match(kept) and form.get("keep_subject") == "1":
        values["subject"] = kept  # the subject of the search before, kept on purpose
    bsn = form.get("bsn", "").replace(" ", "").strip()
    if bsn:
        if not is_valid_bsn(bsn):
            raise web.HTTPSeeOther("/fg/logboek?" + urlencode({**values, "bsn": "invalid"}))
        values["subject"] = request.app[PSEUDONYMISER].pseudonym(bsn)
    raise web.HTTPSeeOther("/fg/logboek" + (("?" + urlencode(values)) if values else ""))


async def log_csv(request: web.Request) -> web.Response:
    page_session = await officer_page(request)
    filters, _values, errors = _filters(request)
    if errors:
        raise web.HTTPSeeOther("/fg/logboek?" + request.query_string)
    limit = parse_limit(request.query.get("limit"), default=1000, maximum=CSV_LIMIT)
    result = await officer_log(request).search(
        page_session.officer, filters, limit=limit, cursor=request.query.get("cursor"), form="csv"
    )
    response = web.Response(
        text=csv_text(result, request.app[AUDIT]),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="logboek.csv"'},
    )
    if result.next_cursor:
        response.headers["X-Next-Cursor"] = result.next_cursor
    return response


async def entry_page(request: web.Request) -> web.Response:
    page_session = await officer_page(request)
    seq = parse_seq(request.match_info["seq"])
    detail = await officer_log(request).detail(page_session.officer, seq)
    audit = request.app[AUDIT]
    entry = entry_view(detail.entry, audit, lifted=detail.entry.seq in detail.lifted)
    exchange = [entry_row(e, audit, lifted=e.seq in detail.lifted) for e in detail.exchange]
    return page(
        request,
        "officer/entry.html",
        {
            "entry": entry,
            "exchange": exchange,
            "reviews": {seq: r.details.get("verdict", "") for seq, r in detail.reviews.items()},
        },
        page_session,
    )
