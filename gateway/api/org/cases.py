"""Cases: an organisation registers the cases it works on (a reference and the people
they cover) and closes them. A rule that needs a case reference holds only for an open
case of the requester covering the subject (checked in the exchange and the household
read); a reference that names no such case satisfies nothing.

Opening and closing are audited, one `case.opened` / `case.closed` entry per person
the case covers, so each of them sees it in their access log. Until the audit log can
append on the case's own connection (`AuditLog.append_in`), the order is the one that
fails safe: a case is audited *before* it is stored (it grants power only once both
happened), and closed *before* the closing is audited (a case that grants nothing any
more is never kept open by a failing log).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from consent import Actor, Case
from gateway.api.describe import answer, problems, request_body
from gateway.api.org import schema
from gateway.api.parsing import pseudonym
from gateway.appkeys import AUDIT, AUTHENTICATOR, CASES, POLICIES, REQUEST_ID, TRACE_ID
from gateway.audit.model import AuditEvent
from gateway.auth.organisation_tokens import Principal
from gateway.http.bodies import json_response, read_body

__all__ = ["OPENAPI", "case_json", "setup"]


def _actor(principal: Principal) -> Actor:
    return Actor(
        "professional", organisation=principal.organisation.id, professional=principal.subject
    )


def _events(
    request: web.Request, principal: Principal, case: Case, event_type: str
) -> list[AuditEvent]:
    return [
        AuditEvent(
            event_type=event_type,
            request_id=request[REQUEST_ID],
            trace_id=request.get(TRACE_ID),
            requester_org=principal.organisation.id,
            professional=principal.subject,
            role=principal.role,
            subject=subject,
            policy_version=request.app[POLICIES].version,
            details={"case_id": case.id},
        )
        for subject in case.subjects
    ]


def case_json(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "organisation": case.organisation,
        "reference": case.reference,
        "status": case.status,
        "subjects": list(case.subjects),
        "opened_at": case.opened_at.isoformat(),
        "opened_by": case.opened_by.as_dict(),
        "closed_at": None if case.closed_at is None else case.closed_at.isoformat(),
        "closed_by": None if case.closed_by is None else case.closed_by.as_dict(),
    }


async def open_case(request: web.Request) -> web.Response:
    principal = await request.app[AUTHENTICATOR].authenticate_request(request)
    body = await read_body(request, schema.NewCase)
    subjects = [pseudonym(request, s.bsn) for s in body.subjects]
    store = request.app[CASES]
    case = store.prepare(
        organisation=principal.organisation.id,
        reference=body.reference,
        subjects=subjects,
        actor=_actor(principal),
    )
    # The case and its entries commit in one transaction, or neither does
    # (`AuditUnavailable`, a 503, rolls the case back).
    stored = await store.open(
        case, within=request.app[AUDIT].within(_events(request, principal, case, "case.opened"))
    )
    return json_response(case_json(stored), status=201)


async def close_case(request: web.Request) -> web.Response:
    principal = await request.app[AUTHENTICATOR].authenticate_request(request)
    store = request.app[CASES]
    # Another organisation's case is not found (404), before anything is written.
    current = await store.get(request.match_info["case_id"], principal.organisation.id)
    case = await store.close(
        current.id,
        organisation=principal.organisation.id,
        actor=_actor(principal),
        within=request.app[AUDIT].within(_events(request, principal, current, "case.closed")),
    )
    return json_response(case_json(case))


async def read_case(request: web.Request) -> web.Response:
    principal = await request.app[AUTHENTICATOR].authenticate_request(request)
    # Another organisation's case is not found: no existence leak
    case = await request.app[CASES].get(request.match_info["case_id"], principal.organisation.id)
    return json_response(case_json(case))


def setup(app: web.Application) -> None:
    app.router.add_post("/api/v1/cases", open_case)
    app.router.add_get("/api/v1/cases/{case_id}", read_case)
    app.router.add_post("/api/v1/cases/{case_id}/close", close_case)


_ID = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "string"}}

OPENAPI: dict[str, dict[str, Any]] = {
    "/api/v1/cases": {
        "post": {
            "operationId": "openCase",
            "summary": "Register a case: its reference and the people it covers (audited)",
            "description": "A rule with `case_reference_required` holds only for an open "
            "case of the requester, with the request's reference, covering the subject.",
            "tags": ["cases"],
            "requestBody": request_body(schema.NewCase, schema.EXAMPLE_NEW_CASE),
            "responses": {
                "201": answer(schema.Case, "Registered", schema.EXAMPLE_CASE),
                **problems(400, 401, 409, 413, 415, 503),
            },
        }
    },
    "/api/v1/cases/{case_id}": {
        "get": {
            "operationId": "readCase",
            "summary": "One of the caller's own cases (another organisation's is not found)",
            "tags": ["cases"],
            "parameters": [_ID],
            "responses": {
                "200": answer(schema.Case, "The case", schema.EXAMPLE_CASE),
                **problems(401, 404),
            },
        }
    },
    "/api/v1/cases/{case_id}/close": {
        "post": {
            "operationId": "closeCase",
            "summary": "Close one of the caller's cases; it satisfies no rule from then on",
            "tags": ["cases"],
            "parameters": [_ID],
            "responses": {
                "200": answer(schema.Case, "Closed", schema.EXAMPLE_CASE),
                **problems(401, 404, 409, 503),
            },
        }
    },
}
