"""The privacy officer's API: search, export, verify, checkpoints, break-the-glass review, lifting.

Every call needs an organisation token with role `privacy_officer` (sees entries
its organisation requested or was the source of) or `regional_privacy_officer`
(every organisation of the regions its organisation is configured as the privacy
office of; only such an office may assert the role). Every call is itself logged
before it answers. A household session (cookie or `Authorization: Session`) is 403.

The rules (scope, logging, exactly-once review and lift) are the use-cases of
`gateway.access.officer_log`, which the console's pages call too; each handler here
only turns the request into their arguments and their answer into JSON or CSV.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from gateway.access.officer_log import (
    CSV_COLUMNS,
    OFFICER_ROLES,
    Officer,
    OfficerLog,
    Verification,
    csv_text,
    entry_view,
    parse_seq,
    verify_key,
)
from gateway.api.describe import answer, problems, request_body
from gateway.api.officer import schema
from gateway.appkeys import (
    AUDIT,
    AUDIT_READER,
    AUTHENTICATOR,
    LAST_VERIFICATION,
    LOG_ORGANISATION,
    ORGANISATIONS,
    PSEUDONYMISER,
    REQUEST_ID,
    TRACE_ID,
    VERIFY_LIMITER,
)
from gateway.audit.query import AuditFilters, AuditPage, parse_filters, parse_limit
from gateway.audit.writer import AuditLog
from gateway.auth.sessions import COOKIE_NAME
from gateway.errors import Forbidden, InvalidFilter, RateLimited
from gateway.http.bodies import json_response, read_body

__all__ = ["CSV_COLUMNS", "OPENAPI", "setup"]

CSV_MAX_LIMIT = 10_000
MAX_NOTE = schema.MAX_NOTE


def officer_log(request: web.Request) -> OfficerLog:
    """The officer use-cases for this request (`gateway.access.officer_log`)."""
    return OfficerLog(
        request.app[AUDIT_READER],
        request.app[AUDIT],
        request.app[ORGANISATIONS],
        request[REQUEST_ID],
        request.get(TRACE_ID),
    )


async def _officer(request: web.Request) -> Officer:
    """The officer of an organisation token; every officer route (audit, policies,
    monitoring) starts here. A household member's session (`Authorization: Session`, or
    the portal's cookie without a bearer token) is never an officer's: 403, not "log in"
    (it is a known caller that may not come here, not a missing one)."""
    scheme = request.headers.get("Authorization", "").partition(" ")[0].lower()
    if scheme == "session" or (scheme != "bearer" and request.cookies.get(COOKIE_NAME)):
        raise Forbidden("A household session has no access to the privacy officer's API")
    principal = await request.app[AUTHENTICATOR].authenticate_request(request)
    request[LOG_ORGANISATION] = principal.organisation.id
    principal.require_role(*OFFICER_ROLES)
    return Officer(principal.organisation.id, principal.subject, principal.role)


def _page_json(page: AuditPage, audit: AuditLog) -> dict[str, Any]:
    return {
        "entries": [entry_view(e, audit, lifted=e.seq in page.lifted) for e in page.entries],
        "next_cursor": page.next_cursor,
    }


async def _search(
    request: web.Request, *, default_limit: int, max_limit: int, form: str
) -> AuditPage:
    officer = await _officer(request)
    params = dict(request.query)
    filters: AuditFilters = parse_filters(
        params,
        pseudonym=request.app[PSEUDONYMISER].pseudonym,
        organisations=request.app[ORGANISATIONS].ids(),
    )
    limit = parse_limit(params.get("limit"), default=default_limit, maximum=max_limit)
    return await officer_log(request).search(
        officer, filters, limit=limit, cursor=params.get("cursor"), form=form
    )


async def list_entries(request: web.Request) -> web.Response:
    page = await _search(request, default_limit=50, max_limit=500, form="json")
    return json_response(_page_json(page, request.app[AUDIT]))


async def export_csv(request: web.Request) -> web.Response:
    page = await _search(request, default_limit=1000, max_limit=CSV_MAX_LIMIT, form="csv")
    response = web.Response(
        text=csv_text(page, request.app[AUDIT]),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-entries.csv"'},
    )
    if page.next_cursor:
        response.headers["X-Next-Cursor"] = page.next_cursor
    return response


async def verify(request: web.Request) -> web.Response:
    officer = await _officer(request)
    if not request.app[VERIFY_LIMITER].take(verify_key(officer)):  # as the console's button
        raise RateLimited("Re-verifying is limited per minute; try again in a minute")
    report = await officer_log(request).verify(officer)
    request.app[LAST_VERIFICATION].last = Verification(datetime.now(UTC), report)
    return json_response(report.to_json())


async def list_checkpoints(request: web.Request) -> web.Response:
    officer = await _officer(request)
    params = dict(request.query)
    if set(params) - {"limit"}:
        raise InvalidFilter("Only `limit` is accepted here")
    limit = parse_limit(params.get("limit"))
    found = await officer_log(request).checkpoints(officer, limit=limit)
    checkpoints = [checkpoint.to_json() for checkpoint in found]
    return json_response({"checkpoints": checkpoints, "jwks_uri": "/.well-known/jwks.json"})


async def list_break_glass(request: web.Request) -> web.Response:
    officer = await _officer(request)
    params = dict(request.query)
    if set(params) - {"limit", "cursor"}:
        raise InvalidFilter("Only `limit` and `cursor` are accepted here")
    page = await officer_log(request).unreviewed(
        officer, limit=parse_limit(params.get("limit")), cursor=params.get("cursor")
    )
    return json_response(_page_json(page, request.app[AUDIT]))


async def review_break_glass(request: web.Request) -> web.Response:
    officer = await _officer(request)
    review = await read_body(request, schema.BreakGlassReview)
    seq = parse_seq(request.match_info["seq"])
    new = await officer_log(request).review_entry(officer, seq, review.verdict, review.note)
    return json_response({"seq": new, "target_seq": seq, "verdict": review.verdict}, status=201)


async def lift_confidentiality(request: web.Request) -> web.Response:
    officer = await _officer(request)
    note = (await read_body(request, schema.ConfidentialityLift)).note
    seq = parse_seq(request.match_info["seq"])
    new = await officer_log(request).lift(officer, seq, note)
    return json_response({"seq": new, "target_seq": seq, "confidentiality": "lifted"}, status=201)


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/audit/entries", list_entries)
    app.router.add_get("/api/v1/audit/entries.csv", export_csv)
    app.router.add_post("/api/v1/audit/entries/{seq}/lift-confidentiality", lift_confidentiality)
    app.router.add_get("/api/v1/audit/verify", verify)
    app.router.add_get("/api/v1/audit/checkpoints", list_checkpoints)
    app.router.add_get("/api/v1/audit/break-glass", list_break_glass)
    app.router.add_post("/api/v1/audit/break-glass/{seq}/review", review_break_glass)


# --- OpenAPI ------------------------------------------------------------------------------

_ERRORS = problems(400, 401, 403, 503)


def _query(name: str, description: str, schema_: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema_ or {"type": "string"},
    }


_FILTERS = [
    _query(
        "from",
        "Entries at or after this ISO 8601 date(-time)",
        {"type": "string", "format": "date-time"},
    ),
    _query(
        "to", "Entries before this ISO 8601 date(-time)", {"type": "string", "format": "date-time"}
    ),
    _query("organisation", "Requested by, or was the source: organisation id"),
    _query("purpose", "Purpose code"),
    _query("bsn", "Subject by BSN (pseudonymised at once; never stored)"),
    _query("decision", "permit or deny", {"$ref": "#/components/schemas/Decision"}),
    _query("break_glass", "Only break-the-glass (true) or only not (false)", {"type": "boolean"}),
    _query("source", "Source organisation id"),
    _query("requester", "Requesting organisation id (only requested by it)"),
    _query("professional", "The requesting organisation's identifier of the professional"),
    _query("event_type", "An event type from the catalogue"),
    _query("limit", "Page size (1-500; CSV up to 10000, default 1000)", {"type": "integer"}),
    _query("cursor", "The `next_cursor` of the previous page of the same query"),
]
_SEQ = {
    "name": "seq",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}

OPENAPI: dict[str, dict[str, Any]] = {
    "/api/v1/audit/entries": {
        "get": {
            "operationId": "listAuditEntries",
            "summary": "Search the audit log (newest first, cursor paging); itself audited",
            "tags": ["audit"],
            "parameters": _FILTERS,
            "responses": {
                "200": answer(schema.AuditPage, "A page of entries", schema.EXAMPLE_PAGE),
                **_ERRORS,
            },
        }
    },
    "/api/v1/audit/entries.csv": {
        "get": {
            "operationId": "exportAuditEntriesCsv",
            "summary": "The same search as CSV (next page cursor in X-Next-Cursor); itself audited",
            "tags": ["audit"],
            "parameters": _FILTERS,
            "responses": {
                "200": {
                    "description": "CSV, one entry per line, header first",
                    "headers": {"X-Next-Cursor": {"schema": {"type": "string"}}},
                    "content": {"text/csv": {"schema": {"type": "string"}}},
                },
                **_ERRORS,
            },
        }
    },
    "/api/v1/audit/entries/{seq}/lift-confidentiality": {
        "post": {
            "operationId": "liftAuditConfidentiality",
            "summary": "Let the household see a confidential entry from now on; itself audited",
            "tags": ["audit"],
            "parameters": [_SEQ],
            "requestBody": request_body(schema.ConfidentialityLift, schema.EXAMPLE_LIFT),
            "responses": {
                "201": answer(
                    schema.ConfidentialityLifted,
                    "Lifted",
                    schema.ConfidentialityLifted(seq=43, target_seq=42, confidentiality="lifted"),
                ),
                **problems(404, 409, 415),
                **_ERRORS,
            },
        }
    },
    "/api/v1/audit/verify": {
        "get": {
            "operationId": "verifyAuditLog",
            "summary": "Verify the hash chain, the signed checkpoints and the chain head in the "
            "database; itself audited; rate-limited per officer and overall (429)",
            "tags": ["audit"],
            "responses": {
                "200": answer(schema.VerifyReport, "Verification report", schema.EXAMPLE_REPORT),
                **problems(429),
                **_ERRORS,
            },
        }
    },
    "/api/v1/audit/checkpoints": {
        "get": {
            "operationId": "listAuditCheckpoints",
            "summary": "Signed checkpoints, newest first (verify with /.well-known/jwks.json); "
            "itself audited",
            "tags": ["audit"],
            "parameters": [_query("limit", "How many (1-500)", {"type": "integer"})],
            "responses": {
                "200": answer(
                    schema.CheckpointList,
                    "Checkpoints",
                    schema.CheckpointList(
                        checkpoints=[schema.EXAMPLE_CHECKPOINT], jwks_uri="/.well-known/jwks.json"
                    ),
                ),
                **_ERRORS,
            },
        }
    },
    "/api/v1/audit/break-glass": {
        "get": {
            "operationId": "listUnreviewedBreakGlass",
            "summary": "Break-the-glass decisions not reviewed yet; itself audited",
            "tags": ["audit"],
            "parameters": [_FILTERS[-2], _FILTERS[-1]],
            "responses": {
                "200": answer(schema.AuditPage, "A page of entries", schema.EXAMPLE_PAGE),
                **_ERRORS,
            },
        }
    },
    "/api/v1/audit/break-glass/{seq}/review": {
        "post": {
            "operationId": "reviewBreakGlass",
            "summary": "Judge one break-the-glass use justified or unjustified; itself audited",
            "tags": ["audit"],
            "parameters": [_SEQ],
            "requestBody": request_body(schema.BreakGlassReview, schema.EXAMPLE_REVIEW),
            "responses": {
                "201": answer(
                    schema.BreakGlassReviewed,
                    "Reviewed",
                    schema.BreakGlassReviewed(seq=43, target_seq=42, verdict="justified"),
                ),
                **problems(404, 409, 415),
                **_ERRORS,
            },
        }
    },
}
