"""`GET /api/v1/me/access-log` (household session): who looked at my data and why, and
at my young children's (`gateway.access.access_log.my_access_log`); paged by cursor."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.access.access_log import PAGE_LIMIT, WITHHELD_NOTICE, my_access_log
from gateway.api.me.consents import current_session
from gateway.api.me.dossier import access_log_ports
from gateway.appkeys import REQUEST_ID, TRACE_ID
from gateway.audit.query import parse_limit
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
    )
    return json_response(body)


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/me/access-log", access_log)


_SESSION: list[dict[str, list[str]]] = [{"householdSession": []}]
_PROBLEM = {"$ref": "#/components/responses/Problem"}
_CODED = {"type": ["object", "null"]}
ENTRY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["seq", "time", "event_type", "about", "who", "decision", "new"],
    "properties": {
        "seq": {"type": "integer"},
        "time": {"type": "string", "format": "date-time"},
        "event_type": {"type": "string"},
        "what": _CODED,
        "about": {"type": "string", "enum": ["self", "child"]},
        "subject": {"type": ["string", "null"]},
        "who": {
            "type": "object",
            "properties": {
                "kind": {
                    "type": "string",
                    "enum": ["organisation", "you", "household_member", "gateway"],
                },
                "role": {"type": ["string", "null"]},
            },
        },
        "organisation": _CODED,
        "purpose": _CODED,
        "category": _CODED,
        "source": _CODED,
        "legal_basis": _CODED,
        "decision": {"type": ["string", "null"], "enum": ["permit", "deny", None]},
        "permitted": {"type": "boolean"},
        "break_glass": {
            "type": ["object", "null"],
            "properties": {
                "review_status": {"type": "string", "enum": ["pending", "reviewed"]},
                "verdict": {"type": ["string", "null"]},
            },
        },
        "new": {"type": "boolean", "description": "newer than my previous visit"},
    },
}
ACCESS_LOG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["person", "people", "withheld_notice", "entries", "next_cursor"],
    "properties": {
        "person": {"type": "string"},
        "people": {"type": "array", "items": {"type": "object"}},
        "previous_visit_at": {"type": ["string", "null"], "format": "date-time"},
        "withheld_notice": {
            "type": "object",
            "description": "Always present: entries can be withheld by law, and why",
        },
        "entries": {"type": "array", "items": ENTRY_SCHEMA},
        "next_cursor": {"type": ["string", "null"]},
    },
}
_EXAMPLE: dict[str, Any] = {
    "person": "ps_3f1c0a",
    "people": [{"person": "ps_3f1c0a", "relation": "self"}],
    "previous_visit_at": "2026-11-30T18:00:00+00:00",
    "withheld_notice": WITHHELD_NOTICE,
    "entries": [
        {
            "seq": 1042,
            "time": "2026-12-01T10:15:00.123456+00:00",
            "event_type": "exchange.decision",
            "what": None,
            "about": "self",
            "subject": "ps_3f1c0a",
            "who": {"kind": "organisation", "role": "hulpverlener"},
            "organisation": {
                "id": "wijkteam-utrecht",
                "type": "wijkteam",
                "name": "Wijkteam Utrecht",
                "region": "utrecht",
            },
            "purpose": {
                "code": "support_planning",
                "label": {"nl": "Hulp plannen", "en": "Support planning"},
            },
            "category": {
                "code": "support_plan",
                "label": {"nl": "Het plan met de hulp", "en": "The support plan"},
            },
            "source": None,
            "legal_basis": {
                "code": "consent",
                "label": {"nl": "Toestemming", "en": "Consent"},
                "article": "AVG art. 6 lid 1 sub a",
                "statutory_reference": "Jeugdwet art. 7.3.8",
            },
            "decision": "permit",
            "permitted": True,
            "break_glass": None,
            "new": True,
        }
    ],
    "next_cursor": None,
}

OPENAPI: dict[str, dict[str, Any]] = {
    "/api/v1/me/access-log": {
        "get": {
            "operationId": "myAccessLog",
            "summary": "Who looked at my data (and my young children's), when and why",
            "description": "Newest first, paged by cursor. Confidential entries stay hidden "
            "until a privacy officer lifts that; `withheld_notice` is always present. Each "
            "read is itself an audit entry (household.access_log_read).",
            "tags": ["household"],
            "security": _SESSION,
            "parameters": [
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": PAGE_LIMIT},
                },
                {"name": "cursor", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {
                    "description": "One page of my access log",
                    "content": {
                        "application/json": {"schema": ACCESS_LOG_SCHEMA, "example": _EXAMPLE}
                    },
                },
                "400": _PROBLEM,
                "401": _PROBLEM,
                "503": _PROBLEM,
            },
        }
    }
}
