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
from gateway.api.describe import answer, problems
from gateway.api.me import schema
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
            "security": [{"householdSession": []}],
            "responses": {
                "200": answer(schema.MyDossier, "My dossier", schema.EXAMPLE_MY_DOSSIER),
                **problems(401, 503),
            },
        }
    }
}
