"""`POST /api/v1/exchanges`: an organisation asks for data about one person, for one purpose."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.appkeys import (
    AUTHENTICATOR,
    EXCHANGE_DEPS,
    LOG_ORGANISATION,
    LOG_PURPOSE,
    ORGANISATIONS,
    REQUEST_ID,
    SETTINGS,
    TRACE_ID,
    TRACEPARENT,
    VOCABULARY,
)
from gateway.exchange.pipeline import RequestMeta, run_exchange
from gateway.exchange.validate import parse_exchange_request
from gateway.http.bodies import json_response, read_json_object

__all__ = ["OPENAPI", "setup"]


async def create_exchange(request: web.Request) -> web.Response:
    app = request.app
    principal = await app[AUTHENTICATOR].authenticate_request(request)
    request[LOG_ORGANISATION] = principal.organisation.id
    vocabulary = app[VOCABULARY]
    exchange = parse_exchange_request(
        await read_json_object(request),
        purposes=vocabulary.purposes,
        break_glass_purposes={p for p, v in vocabulary.purposes.items() if v.break_glass},
        aggregates_only_purposes={p for p, v in vocabulary.purposes.items() if v.aggregates_only},
        categories=vocabulary.categories,
        sources=app[ORGANISATIONS].ids(),
        max_categories=app[SETTINGS].max_categories,
    )
    request[LOG_PURPOSE] = exchange.purpose
    meta = RequestMeta(request[REQUEST_ID], request[TRACE_ID], request[TRACEPARENT])
    result = await run_exchange(exchange, principal, meta, app[EXCHANGE_DEPS])
    return json_response(result.to_json())


def setup(app: web.Application) -> None:
    app.router.add_post("/api/v1/exchanges", create_exchange)


_ITEM: dict[str, Any] = {
    "type": "object",
    "required": ["source", "category", "decision", "reason", "rule_ids", "legal_basis"],
    "properties": {
        "source": {"type": "string", "description": "Source organisation id"},
        "category": {"type": "string"},
        "decision": {"type": "string", "enum": ["permit", "deny"]},
        "reason": {"type": "string", "description": "Machine-readable reason code"},
        "rule_ids": {"type": "array", "items": {"type": "string"}},
        "legal_basis": {"type": ["string", "null"]},
        "statutory_reference": {"type": ["string", "null"]},
        "explanation": {
            "type": "object",
            "properties": {"nl": {"type": "string"}, "en": {"type": "string"}},
        },
        "consent_ids": {"type": "array", "items": {"type": "string"}},
        "missing_consent_from": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Pseudonyms of the people whose consent is still needed",
        },
        "records": {"type": "array", "items": {"type": "object"}},
        "error": {"type": "string", "enum": ["source_unavailable"]},
    },
}

OPENAPI: dict[str, dict[str, Any]] = {
    "/api/v1/exchanges": {
        "post": {
            "operationId": "createExchange",
            "summary": "Ask for data about one person for one declared purpose",
            "description": "Every source x category is decided by the policy engine and the "
            "consent check; permitted items are fetched live and minimised; every item is "
            "written to the audit log before the answer leaves.",
            "tags": ["exchange"],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["subject", "purpose", "categories"],
                            "properties": {
                                "subject": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["bsn"],
                                    "properties": {
                                        "bsn": {"type": "string", "pattern": "^[0-9]{9}$"}
                                    },
                                },
                                "purpose": {"type": "string"},
                                "categories": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                    "minItems": 1,
                                    "maxItems": 50,
                                    "uniqueItems": True,
                                },
                                "sources": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                    "minItems": 1,
                                    "uniqueItems": True,
                                },
                                "case_reference": {
                                    "type": "string",
                                    "pattern": "^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$",
                                    "description": (
                                        "The reference of an open case the requester "
                                        "registered (POST /api/v1/cases) covering the "
                                        "subject; any other reference satisfies no rule "
                                        "(reason case_reference_required)."
                                    ),
                                },
                                "break_glass": {
                                    "type": "object",
                                    "required": ["justification"],
                                    "properties": {"justification": {"type": "string"}},
                                },
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "Per-item decisions, with records where permitted",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["exchange_id", "policy_version", "results"],
                                "properties": {
                                    "exchange_id": {"type": "string"},
                                    "policy_version": {"type": "string"},
                                    "results": {"type": "array", "items": _ITEM},
                                },
                            }
                        }
                    },
                },
                "400": {"$ref": "#/components/responses/Problem"},
                "401": {"$ref": "#/components/responses/Problem"},
                "403": {"$ref": "#/components/responses/Problem"},
                "413": {"$ref": "#/components/responses/Problem"},
                "415": {"$ref": "#/components/responses/Problem"},
                "422": {"$ref": "#/components/responses/Problem"},
                "503": {"$ref": "#/components/responses/Problem"},
            },
        }
    }
}
