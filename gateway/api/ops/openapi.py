"""The OpenAPI 3.1 document, assembled from the routes that exist (see `gateway.api`).

Each route module names its bodies by their declarations (`msgspec.Struct` types,
`gateway.api.describe`); here they become `$ref`s to named `components/schemas`, drawn
from the declarations by `msgspec.json.schema_components` (JSON Schema 2020-12, the
dialect of OpenAPI 3.1), and example instances become JSON. Fields marked with a
vocabulary (`gateway.http.vocabulary`) become `$ref`s to enum schemas built from the
loaded configuration: `Purpose`, `Category`, `Organisation`, `OrganisationType`,
`LegalBasis`, `Role` and `Reason`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import msgspec
from aiohttp import web

from gateway import api as routes
from gateway.api.ops import schema
from gateway.appkeys import ORGANISATIONS, SETTINGS, VOCABULARY
from gateway.errors import all_error_classes
from gateway.http.bodies import json_response
from gateway.http.middlewares import API_VERSION
from gateway.http.vocabulary import COMPONENT, MARK
from policies.model import REASONS

__all__ = ["OPENAPI", "VOCABULARIES", "build_document", "setup"]

_REF = "#/components/schemas/{name}"
CONTACT_NAME = "Beheer van deze gateway (operator of this gateway)"

#: The enum schemas the declarations may name, with what each is.
VOCABULARIES: dict[str, str] = {
    "Purpose": "A purpose code (config/purposes.toml)",
    "Category": "A data category code (config/categories.toml)",
    "Organisation": "An organisation id (config/organisations.toml)",
    "OrganisationType": "An organisation type (config/organisation_types.toml)",
    "LegalBasis": "A legal basis code (config/legal_bases.toml)",
    "Reason": "A decision reason code (stable once published)",
    "ErrorCode": "A problem's stable code (ARCHITECTURE.md lists them)",
}


def build_document(
    roles: Sequence[str] = (),
    vocabularies: Mapping[str, Collection[str]] | None = None,
    *,
    base_url: str = "",
    contact: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The document; `roles` (every role some organisation may assert) is the `Role` enum,
    `vocabularies` the values of the other enums (by name, see `VOCABULARIES`); `base_url`
    the one server, `contact` who answers integrators (NL API Design Rules)."""
    codes = sorted({cls.code for cls in all_error_classes()})
    kinds: list[type[msgspec.Struct]] = [schema.Problem, schema.Status]
    paths = _resolve(_with_role_refusal(routes.openapi_paths()), kinds)
    _, bodies = msgspec.json.schema_components(kinds, ref_template=_REF)
    lifted: dict[str, Any] = {}
    bodies = _unmark(bodies, lifted)
    values = {"Reason": list(REASONS), "ErrorCode": codes, **(vocabularies or {})}
    enums: dict[str, Any] = {}
    for name, description in VOCABULARIES.items():
        enums[name] = {"type": "string", "description": description}
        if values.get(name):
            enums[name]["enum"] = sorted(set(values[name]))
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
            "contact": {"name": CONTACT_NAME, **(contact or {})},
        },
        "servers": [{"url": base_url or "/", "description": "This gateway"}],
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "security": [{"organisationToken": []}],
        "paths": paths,
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
                **bodies,
                **lifted,
                **enums,
                "Role": role,
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


def _resolve(value: Any, kinds: list[type[msgspec.Struct]]) -> Any:
    """`value` with declarations as `$ref`s (collected in `kinds`) and examples as JSON."""
    if isinstance(value, type) and issubclass(value, msgspec.Struct):
        if value not in kinds:
            kinds.append(value)
        return {"$ref": _REF.format(name=value.__name__)}
    if isinstance(value, msgspec.Struct):
        return msgspec.to_builtins(value)
    if isinstance(value, dict):
        return {key: _resolve(item, kinds) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, kinds) for item in value]
    return value


def _unmark(value: Any, lifted: dict[str, Any]) -> Any:
    """Each vocabulary mark replaced by a `$ref` to its enum schema, and each named
    component lifted into `lifted` and replaced by a `$ref` to it."""
    if isinstance(value, dict):
        if MARK in value:
            ref: dict[str, Any] = {"$ref": _REF.format(name=value[MARK])}
            if "description" in value:
                ref["description"] = value["description"]
            return ref
        if COMPONENT in value:
            name = value[COMPONENT]
            lifted[name] = _unmark({k: v for k, v in value.items() if k != COMPONENT}, lifted)
            return {"$ref": _REF.format(name=name)}
        return {key: _unmark(item, lifted) for key, item in value.items()}
    if isinstance(value, list):
        return [_unmark(item, lifted) for item in value]
    return value


async def openapi(request: web.Request) -> web.Response:
    app = request.app
    vocabulary, organisations = app[VOCABULARY], app[ORGANISATIONS]
    vocabularies = {
        "Purpose": list(vocabulary.purposes),
        "Category": list(vocabulary.categories),
        "Organisation": organisations.ids(),
        "OrganisationType": list(vocabulary.organisation_types),
        "LegalBasis": list(vocabulary.legal_bases),
    }
    settings = app[SETTINGS]
    contact = {"url": settings.api_contact_url or settings.base_url}
    if settings.api_contact_email:
        contact["email"] = settings.api_contact_email
    return json_response(
        build_document(
            organisations.roles(), vocabularies, base_url=settings.base_url, contact=contact
        )
    )


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
