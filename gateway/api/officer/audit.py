"""The privacy officer's API: search, export, verify, checkpoints, break-the-glass review, lifting.

Every call needs an organisation token with role `privacy_officer` (sees entries
its organisation requested or was the source of) or `regional_privacy_officer`
(every organisation of the regions its organisation is configured as the privacy
office of; only such an office may assert the role). Every call is itself logged
before it answers.

Longer than most route modules because the officer's seven operations share one scope
rule and one logging rule; each handler is short and calls `AuditReader`.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from aiohttp import web

from gateway.api.describe import answer, problems, request_body
from gateway.api.officer import schema
from gateway.appkeys import (
    AUDIT,
    AUDIT_READER,
    AUTHENTICATOR,
    LOG_ORGANISATION,
    ORGANISATIONS,
    PSEUDONYMISER,
    REQUEST_ID,
    TRACE_ID,
)
from gateway.audit.fields import CSV_FIELDS, VIEW_FIELDS, json_form
from gateway.audit.model import AuditEntry, AuditEvent
from gateway.audit.query import AuditFilters, AuditPage, Scope, parse_filters, parse_limit
from gateway.audit.writer import AuditLog
from gateway.auth.organisation_tokens import Principal
from gateway.errors import Conflict, InvalidFilter, NotFound, ValidationFailed
from gateway.http.bodies import json_response, read_body
from policies.vocabulary import PRIVACY_OFFICER, REGIONAL_PRIVACY_OFFICER

__all__ = ["OPENAPI", "setup"]

OFFICER_ROLES = (PRIVACY_OFFICER, REGIONAL_PRIVACY_OFFICER)
CSV_MAX_LIMIT = 10_000
CSV_COLUMNS = tuple(f.name for f in CSV_FIELDS)  # gateway.audit.fields declares them
MAX_NOTE = schema.MAX_NOTE


async def _officer(request: web.Request) -> tuple[Principal, Scope]:
    principal = await request.app[AUTHENTICATOR].authenticate_request(request)
    request[LOG_ORGANISATION] = principal.organisation.id
    principal.require_role(*OFFICER_ROLES)
    if principal.role == REGIONAL_PRIVACY_OFFICER:
        # The office's configured regions, never the organisation's own region claim.
        regions = frozenset(principal.organisation.privacy_office_for)
        orgs = frozenset(o.id for o in request.app[ORGANISATIONS] if o.region in regions)
    else:
        orgs = frozenset({principal.organisation.id})
    return principal, Scope(orgs)


async def _log(
    request: web.Request, principal: Principal, event_type: str, **fields: Any
) -> list[int]:
    """Append the officer's own action to the log; raises AuditUnavailable (503) on failure.

    A review or a lift goes in its own transaction, not the group commit, and raises
    `Conflict` if its target already has one (`gateway.audit.writer.ONCE_EVENT_TYPES`)."""
    event = AuditEvent(
        event_type=event_type,
        request_id=request[REQUEST_ID],
        trace_id=request[TRACE_ID],
        requester_org=principal.organisation.id,
        professional=principal.subject,
        role=principal.role,
        **fields,
    )
    return await request.app[AUDIT].append([event])


def entry_view(entry: AuditEntry, audit: AuditLog, *, lifted: bool) -> dict[str, Any]:
    """An entry as a privacy officer sees it: stored fields, decrypted text, current status."""
    data = json_form(entry, VIEW_FIELDS)
    data["justification"] = audit.open_justification(entry)
    data["confidentiality"] = "lifted" if lifted else entry.confidentiality
    return data


def _page_json(page: AuditPage, audit: AuditLog) -> dict[str, Any]:
    return {
        "entries": [entry_view(e, audit, lifted=e.seq in page.lifted) for e in page.entries],
        "next_cursor": page.next_cursor,
    }


async def _search(
    request: web.Request, *, default_limit: int, max_limit: int
) -> tuple[Principal, AuditFilters, AuditPage]:
    principal, scope = await _officer(request)
    params = dict(request.query)
    filters = parse_filters(
        params,
        pseudonym=request.app[PSEUDONYMISER].pseudonym,
        organisations=request.app[ORGANISATIONS].ids(),
    )
    limit = parse_limit(params.get("limit"), default=default_limit, maximum=max_limit)
    page = await request.app[AUDIT_READER].search(
        filters, scope, limit=limit, cursor=params.get("cursor")
    )
    return principal, filters, page


async def list_entries(request: web.Request) -> web.Response:
    principal, filters, page = await _search(request, default_limit=50, max_limit=500)
    await _log(
        request,
        principal,
        "audit.query",
        subject=filters.subject,
        details={**filters.details(), "format": "json", "results": str(len(page.entries))},
    )
    return json_response(_page_json(page, request.app[AUDIT]))


async def export_csv(request: web.Request) -> web.Response:
    principal, filters, page = await _search(request, default_limit=1000, max_limit=CSV_MAX_LIMIT)
    await _log(
        request,
        principal,
        "audit.query",
        subject=filters.subject,
        details={**filters.details(), "format": "csv", "results": str(len(page.entries))},
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in page.entries:
        data = entry_view(entry, request.app[AUDIT], lifted=entry.seq in page.lifted)
        writer.writerow([_csv_cell(data[name]) for name in CSV_COLUMNS])
    response = web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-entries.csv"'},
    )
    if page.next_cursor:
        response.headers["X-Next-Cursor"] = page.next_cursor
    return response


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    text = str(value)
    # Spreadsheet formula injection: never let a cell start like a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def verify(request: web.Request) -> web.Response:
    principal, _scope = await _officer(request)
    report = await request.app[AUDIT_READER].verify()
    details = {"ok": str(report.ok).lower(), "entries": str(report.entries)}
    if report.first_bad_seq is not None:
        details["first_bad_seq"] = str(report.first_bad_seq)
    await _log(request, principal, "audit.verify", details=details)
    return json_response(report.to_json())


async def list_checkpoints(request: web.Request) -> web.Response:
    principal, _scope = await _officer(request)
    params = dict(request.query)
    if set(params) - {"limit"}:
        raise InvalidFilter("Only `limit` is accepted here")
    limit = parse_limit(params.get("limit"))
    found = await request.app[AUDIT_READER].checkpoints(limit=limit)
    checkpoints = [checkpoint.to_json() for checkpoint in found]
    await _log(
        request,
        principal,
        "audit.query",
        details={"view": "checkpoints", "results": str(len(checkpoints))},
    )
    return json_response({"checkpoints": checkpoints, "jwks_uri": "/.well-known/jwks.json"})


async def list_break_glass(request: web.Request) -> web.Response:
    principal, scope = await _officer(request)
    params = dict(request.query)
    if set(params) - {"limit", "cursor"}:
        raise InvalidFilter("Only `limit` and `cursor` are accepted here")
    page = await request.app[AUDIT_READER].unreviewed_break_glass(
        scope, limit=parse_limit(params.get("limit")), cursor=params.get("cursor")
    )
    await _log(
        request,
        principal,
        "audit.query",
        details={"view": "break_glass_unreviewed", "results": str(len(page.entries))},
    )
    return json_response(_page_json(page, request.app[AUDIT]))


async def _target(request: web.Request, scope: Scope) -> AuditEntry:
    text = request.match_info["seq"]
    if not text.isascii() or not text.isdigit() or not 0 < len(text) < 16:
        raise InvalidFilter("Entry id must be a sequence number")
    # An officer's scope always names organisations (`_officer`); never all of them here.
    entry = await request.app[AUDIT_READER].entry(
        int(text), Scope(scope.organisations or frozenset())
    )
    if entry is None:
        raise NotFound("No such entry in your organisation's log")
    return entry


def _note(text: str) -> str:
    """The officer's note, trimmed (its length is the declaration's: `schema.Note`)."""
    note = text.strip()
    if not note:
        raise ValidationFailed(f"`note` must be text of 1 to {MAX_NOTE} characters")
    return note


async def review_break_glass(request: web.Request) -> web.Response:
    principal, scope = await _officer(request)
    review = await read_body(request, schema.BreakGlassReview)
    verdict, note = review.verdict, _note(review.note)
    target = await _target(request, scope)
    if not target.break_glass or target.event_type != "exchange.decision":
        raise NotFound("That entry is not a break-the-glass decision")
    # Exactly once, even under concurrent reviews: the review claims its target in
    # `audit_once` in its own transaction (`AuditLog.append_alone`); a second one is 409.
    try:
        seqs = await _log(
            request,
            principal,
            "audit.break_glass_review",
            subject=target.subject,
            household=target.household,
            target_seq=target.seq,
            justification=note,
            details={"verdict": str(verdict)},
        )
    except Conflict:
        raise Conflict("This break-the-glass use was already reviewed") from None
    return json_response({"seq": seqs[0], "target_seq": target.seq, "verdict": verdict}, status=201)


async def lift_confidentiality(request: web.Request) -> web.Response:
    principal, scope = await _officer(request)
    note = _note((await read_body(request, schema.ConfidentialityLift)).note)
    target = await _target(request, scope)
    if target.confidentiality != "confidential":
        raise NotFound("That entry is not confidential")
    try:  # exactly once, like a review
        seqs = await _log(
            request,
            principal,
            "audit.confidentiality_lifted",
            subject=target.subject,
            household=target.household,
            target_seq=target.seq,
            justification=note,
        )
    except Conflict:
        raise Conflict("Confidentiality of this entry was already lifted") from None
    return json_response(
        {"seq": seqs[0], "target_seq": target.seq, "confidentiality": "lifted"}, status=201
    )


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
            "database; itself audited",
            "tags": ["audit"],
            "responses": {
                "200": answer(schema.VerifyReport, "Verification report", schema.EXAMPLE_REPORT),
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
