"""`GET /api/v1/me/access-log` (household session): who looked at my data and why, and
at my young children's (`gateway.access.access_log.my_access_log`); paged by cursor
(a cursor works only in the session that got it, for 15 minutes)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.access.access_log import PAGE_LIMIT, my_access_log, session_binding
from gateway.api.describe import answer, problems
from gateway.api.me import schema
from gateway.api.me.consents import current_session
from gateway.api.me.dossier import access_log_ports
from gateway.appkeys import REQUEST_ID, TRACE_ID
from gateway.audit.query import parse_limit
from gateway.auth.sessions import session_token
from gateway.errors import InvalidFilter
from gateway.http.bodies import json_response

__all__ = ["OPENAPI", "setup"]


async def access_log(request: web.Request) -> web.Response:
    session = await current_session(request)
    params = request.rel_url.query
    if set(params) - {"limit", "cursor"}:
        raise InvalidFilter("Only `limit` and `cursor` are accepted here")
    limit = parse_limit(params.get("limit"), default=50, maximum=PAGE_LIMIT)
    body = await my_access_log(
        access_log_ports(request.app),
        session.person,
        session.household_id,
        request_id=request[REQUEST_ID],
        trace_id=request[TRACE_ID],
        limit=limit,
        cursor=params.get("cursor"),
        bound_to=session_binding(session_token(request)),
    )
    return json_response(body)


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/me/access-log", access_log)


OPENAPI: dict[str, dict[str, Any]] = {
    "/api/v1/me/access-log": {
        "get": {
            "operationId": "myAccessLog",
            "summary": "Who looked at my data (and my young children's), when and why",
            "description": "Newest first, paged by cursor (it works only in the session "
            "that got it, for 15 minutes: else 400 invalid_cursor). Restricted categories about "
            "anyone but me are left out by the query, so pages are full. Confidential entries "
            "stay hidden "
            "until a privacy officer lifts that; `withheld_notice` is always present. Each "
            "read is itself an audit entry (household.access_log_read).",
            "tags": ["household"],
            "security": [{"householdSession": []}],
            "parameters": [
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": PAGE_LIMIT},
                },
                {"name": "cursor", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": {
                "200": answer(
                    schema.MyAccessLog, "One page of my access log", schema.EXAMPLE_MY_ACCESS_LOG
                ),
                **problems(400, 401, 503),
            },
        }
    }
}
