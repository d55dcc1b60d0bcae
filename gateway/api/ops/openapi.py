"""The OpenAPI 3.1 document, assembled from the routes that exist (see `gateway.api`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from gateway import api as routes
from gateway.appkeys import ORGANISATIONS
from gateway.errors import all_error_classes
from gateway.http.bodies import json_response

__all__ = ["OPENAPI", "build_document", "setup"]

API_VERSION = "1.0.0"


def build_document(roles: Sequence[str] = ()) -> dict[str, Any]:
    """The document; `roles` (every role some organisation may assert) is the `Role` enum."""
    codes = sorted({cls.code for cls in all_error_classes()})
    role: dict[str, Any] = {
        "type": "string",
        "description": "The `role` claim of an organisation token. Each organisation may "
        "assert only its type's roles (config/organisation_types.toml); "
        "`regional_privacy_officer` only a region's privacy office (`privacy_office_for` in "
        "config/organisations.toml). Any other role: 403 `role_not_allowed`. See docs/roles.md.",
    }
    if roles:
        role["enum"] = list(roles)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Jeugd- en gezinsbeschermingsgateway",
            "version": API_VERSION,
            "summary": "Purpose-bound, consent-aware, audited data exchange between "
            "wijkteam, Veilig Thuis, Gecertificeerde Instellingen and the Raad voor de "
            "Kinderbescherming.",
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "security": [{"organisationToken": []}],
        "paths": _with_role_refusal(routes.openapi_paths()),
        "components": {
            "securitySchemes": {
                "organisationToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT (ES256, EdDSA or RS256)",
                    "description": "Claims: iss, sub, aud, exp, iat, jti and role (see the "
                    "`Role` schema); `sub` and `role` are codes of 1 to 128 ASCII letters, "
                    "digits and ._:/+=@-, starting with a letter or digit.",
                },
                "householdSession": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "__Host-gw_session",
                },
            },
            "schemas": {
                "Problem": {
                    "type": "object",
                    "description": "RFC 9457 problem details with a stable machine-readable code.",
                    "required": ["type", "title", "status", "code"],
                    "properties": {
                        "type": {"type": "string", "format": "uri"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "code": {"type": "string", "enum": codes},
                        "request_id": {"type": ["string", "null"]},
                    },
                },
                "Role": role,
                "Status": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {"status": {"type": "string"}},
                },
                "Jwks": {
                    "type": "object",
                    "required": ["keys"],
                    "properties": {"keys": {"type": "array", "items": {"type": "object"}}},
                },
            },
            "responses": {
                "Problem": {
                    "description": "An error (RFC 9457)",
                    "content": {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    },
                },
                "Status": {
                    "description": "Status",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Status"}}
                    },
                },
            },
        },
    }


def _with_role_refusal(paths: dict[str, Any]) -> dict[str, Any]:
    """Every operation behind an organisation token can answer 403 `role_not_allowed`
    (copies; the routes' own OPENAPI dictionaries stay as they are)."""
    problem = {"$ref": "#/components/responses/Problem"}
    result: dict[str, Any] = {}
    for path, operations in paths.items():
        result[path] = {}
        for method, operation in operations.items():
            if "security" not in operation:  # the document's default: an organisation token
                responses = {**operation.get("responses", {})}
                responses.setdefault("403", problem)
                operation = {**operation, "responses": dict(sorted(responses.items()))}
            result[path][method] = operation
    return result


async def openapi(request: web.Request) -> web.Response:
    return json_response(build_document(request.app[ORGANISATIONS].roles()))


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/openapi.json", openapi)


OPENAPI: dict[str, dict[str, Any]] = {
    "/api/v1/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "tags": ["operations"],
            "security": [],
            "responses": {
                "200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}
            },
        }
    }
}
