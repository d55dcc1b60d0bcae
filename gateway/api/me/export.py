"""`GET /api/v1/me/export` (household session): my dossier, my access log and my
consents as one JSON document (AVG art. 15 and 20), signed by the gateway as a compact
JWS verifiable with `/.well-known/jwks.json` (`gateway.access.export.my_export`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

from gateway.access.export import EXPORT_TYP, ExportPorts, my_export
from gateway.api.me.consents import current_session
from gateway.api.me.dossier import access_log_ports, dossier_ports, identities, request_meta
from gateway.api.views import consent_json
from gateway.appkeys import CONSENTS, KEYS, SETTINGS
from gateway.http.bodies import json_response

__all__ = ["OPENAPI", "setup"]


def _ports(app: web.Application) -> ExportPorts:
    keys = app[KEYS]
    store = app[CONSENTS]

    async def consents(people: Sequence[str]) -> list[dict[str, Any]]:
        return [consent_json(record) for record in await store.for_people(list(people))]

    def sign(claims: Mapping[str, Any], typ: str) -> str:
        return keys.sign_jwt(claims, typ=typ)

    return ExportPorts(
        dossier=dossier_ports(app),
        access_log=access_log_ports(app),
        consents=consents,
        sign=sign,
        issuer=app[SETTINGS].audience,
    )


async def export(request: web.Request) -> web.Response:
    session = await current_session(request)
    body = await my_export(
        _ports(request.app),
        session.person,
        session.household_id,
        identities(request, session),
        request_meta(request),
    )
    response = json_response(body)
    response.headers["Content-Disposition"] = 'attachment; filename="mijn-gegevens.json"'
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/me/export", export)


_PROBLEM = {"$ref": "#/components/responses/Problem"}
EXPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["export", "jws"],
    "properties": {
        "export": {
            "type": "object",
            "required": ["format", "person", "generated_at", "dossier", "access_log", "consents"],
            "properties": {
                "format": {"type": "string", "const": "gateway-household-export/1"},
                "person": {"type": "string"},
                "generated_at": {"type": "string", "format": "date-time"},
                "dossier": {"type": "array", "items": {"type": "object"}},
                "access_log": {"type": "array", "items": {"type": "object"}},
                "access_log_complete": {"type": "boolean"},
                "withheld_notice": {"type": "object"},
                "consents": {"type": "array", "items": {"type": "object"}},
            },
        },
        "jws": {
            "type": "string",
            "description": f"Compact JWS (EdDSA, typ {EXPORT_TYP}, kid of a key in "
            "/.well-known/jwks.json) whose payload holds iss, sub, iat and `export`",
        },
    },
}

OPENAPI: dict[str, dict[str, Any]] = {
    "/api/v1/me/export": {
        "get": {
            "operationId": "myExport",
            "summary": "Download my data (dossier, access log, consents), signed by the gateway",
            "tags": ["household"],
            "security": [{"householdSession": []}],
            "responses": {
                "200": {
                    "description": "The signed export",
                    "content": {
                        "application/json": {
                            "schema": EXPORT_SCHEMA,
                            "example": {
                                "export": {
                                    "format": "gateway-household-export/1",
                                    "person": "ps_3f1c0a",
                                    "generated_at": "2026-12-02T09:00:00+00:00",
                                    "dossier": [],
                                    "access_log": [],
                                    "access_log_complete": True,
                                    "withheld_notice": {"nl": "…", "en": "…"},
                                    "consents": [],
                                },
                                "jws": "eyJhbGciOiJFZERTQSJ9.eyJleHBvcnQiOnt9fQ.c2ln",
                            },
                        }
                    },
                },
                "401": _PROBLEM,
                "503": _PROBLEM,
            },
        }
    }
}
