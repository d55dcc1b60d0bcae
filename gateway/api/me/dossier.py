"""`GET /api/v1/me/dossier` (household session): what each organisation holds about me
and each child I may see, fetched live (`gateway.access.dossier.my_dossier`).

Also the ports the portal's use-cases read from the app (`dossier_ports`,
`access_log_ports`, `request_meta`), shared by the access-log and export routes and,
next, the pages.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.access.access_log import AccessLogPorts
from gateway.access.dossier import (
    ChildRegister,
    DossierPorts,
    NoChildRegister,
    RegisterIdentities,
    my_dossier,
)
from gateway.access.visible import PortalRules, StoreCustodyView
from gateway.api.me.consents import current_session
from gateway.appkeys import (
    AUDIT,
    AUDIT_READER,
    CONSENTS,
    CUSTODY,
    ENGINE,
    EXCHANGE_DEPS,
    HOUSEHOLDS,
    ORGANISATIONS,
    POLICIES,
    PORTAL_RULES,
    PSEUDONYMISER,
    REQUEST_ID,
    SETTINGS,
    TRACE_ID,
    TRACEPARENT,
    VOCABULARY,
)
from gateway.auth.sessions import HouseholdSession
from gateway.exchange.pipeline import RequestMeta
from gateway.http.bodies import json_response
from gateway.storage.visits import SqlVisitStore

__all__ = [
    "OPENAPI",
    "access_log_ports",
    "dossier_ports",
    "identities",
    "request_meta",
    "setup",
]


def request_meta(request: web.Request) -> RequestMeta:
    return RequestMeta(request[REQUEST_ID], request[TRACE_ID], request[TRACEPARENT])


def _organisations(app: web.Application) -> dict[str, dict[str, str]]:
    return {org.id: org.public() for org in app[ORGANISATIONS]}


def _custody(app: web.Application) -> StoreCustodyView:
    return StoreCustodyView(app[HOUSEHOLDS], app[CONSENTS], app[CUSTODY])


def dossier_ports(app: web.Application) -> DossierPorts:
    return DossierPorts(
        exchange=app[EXCHANGE_DEPS],
        custody=_custody(app),
        ages=app[CONSENTS].rules,
        portal=app[PORTAL_RULES],
        vocabulary=app[VOCABULARY],
        organisations=_organisations(app),
    )


def access_log_ports(app: web.Application) -> AccessLogPorts:
    policies = app[POLICIES]
    return AccessLogPorts(
        reader=app[AUDIT_READER],
        audit=app[AUDIT],
        visits=SqlVisitStore(app[ENGINE]),
        custody=_custody(app),
        ages=app[CONSENTS].rules,
        portal=app[PORTAL_RULES],
        vocabulary=app[VOCABULARY],
        policies=lambda: policies.policy_set,
        organisations=_organisations(app),
    )


def identities(request: web.Request, session: HouseholdSession) -> RegisterIdentities:
    app = request.app
    source = app[CUSTODY].source
    register = source if isinstance(source, ChildRegister) else NoChildRegister()
    return RegisterIdentities(session.person, session.bsn, app[PSEUDONYMISER].pseudonym, register)


async def dossier(request: web.Request) -> web.Response:
    session = await current_session(request)
    body = await my_dossier(
        dossier_ports(request.app),
        session.person,
        session.household_id,
        identities(request, session),
        request_meta(request),
    )
    return json_response(body)


def setup(app: web.Application) -> None:
    app[PORTAL_RULES] = PortalRules.load(app[SETTINGS].config_dir / "consent.toml")
    app.router.add_get("/api/v1/me/dossier", dossier)


_SESSION: list[dict[str, list[str]]] = [{"householdSession": []}]
_PROBLEM = {"$ref": "#/components/responses/Problem"}
_LABEL = {
    "type": "object",
    "required": ["nl", "en"],
    "properties": {"nl": {"type": "string"}, "en": {"type": "string"}},
}
_ORG = {
    "type": "object",
    "properties": {k: {"type": "string"} for k in ("id", "type", "name", "region")},
}
_EXAMPLE: dict[str, Any] = {
    "person": "ps_3f1c0a",
    "generated_at": "2026-12-02T09:00:00+00:00",
    "people": [
        {
            "person": "ps_3f1c0a",
            "relation": "self",
            "available": True,
            "exchange_id": "ex_4b2e9c0d1a2b3c4d5e6f7a8b",
            "organisations": [
                {
                    "organisation": {
                        "id": "wijkteam-utrecht",
                        "type": "wijkteam",
                        "name": "Wijkteam Utrecht",
                        "region": "utrecht",
                    },
                    "categories": [
                        {
                            "category": "support_plan",
                            "label": {
                                "nl": "Het plan met de hulp die het gezin krijgt",
                                "en": "The plan with the support the family receives",
                            },
                            "records": [{"goal": "Rust in huis"}],
                            "legal_basis": {
                                "code": "legal_obligation",
                                "label": {"nl": "Wettelijke plicht", "en": "Legal obligation"},
                                "article": "AVG art. 6 lid 1 sub c",
                            },
                            "statutory_reference": "AVG art. 15",
                        }
                    ],
                }
            ],
            "unavailable_sources": [],
        }
    ],
}
DOSSIER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["person", "generated_at", "people"],
    "properties": {
        "person": {"type": "string"},
        "generated_at": {"type": "string", "format": "date-time"},
        "people": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["person", "relation", "available", "organisations"],
                "properties": {
                    "person": {"type": "string"},
                    "relation": {"type": "string", "enum": ["self", "child"]},
                    "available": {
                        "type": "boolean",
                        "description": "false: the sources could not be asked (no BSN known)",
                    },
                    "exchange_id": {"type": ["string", "null"]},
                    "organisations": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "organisation": _ORG,
                                "categories": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "category": {"type": "string"},
                                            "label": _LABEL,
                                            "records": {
                                                "type": "array",
                                                "items": {"type": "object"},
                                            },
                                            "legal_basis": {"type": ["object", "null"]},
                                            "statutory_reference": {"type": ["string", "null"]},
                                        },
                                    },
                                },
                            },
                        },
                    },
                    "unavailable_sources": {"type": "array", "items": _ORG},
                },
            },
        },
    },
}

OPENAPI: dict[str, dict[str, Any]] = {
    "/api/v1/me/dossier": {
        "get": {
            "operationId": "myDossier",
            "summary": "What each organisation holds about me and my young children, live",
            "description": "One exchange per visible person with purpose client_access by "
            "the portal requester type household; every view is written to the audit log "
            "(household.read) before the answer. Restricted data is shown only to the "
            "person it is about.",
            "tags": ["household"],
            "security": _SESSION,
            "responses": {
                "200": {
                    "description": "My dossier",
                    "content": {
                        "application/json": {"schema": DOSSIER_SCHEMA, "example": _EXAMPLE}
                    },
                },
                "401": _PROBLEM,
                "503": _PROBLEM,
            },
        }
    }
}
