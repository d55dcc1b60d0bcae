"""`GET /api/v1/me/export` (household session): my dossier, my access log and my
consents as one JSON document (AVG art. 15 and 20), signed by the gateway as a compact
JWS verifiable with `/.well-known/jwks.json` (`gateway.access.export.my_export`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

from gateway.access.access_log import session_binding
from gateway.access.export import ExportPorts, my_export
from gateway.api.describe import answer, problems
from gateway.api.me import schema
from gateway.api.me.consents import current_session
from gateway.api.me.dossier import access_log_ports, dossier_ports, identities, request_meta
from gateway.api.views import consent_json
from gateway.appkeys import CONSENTS, KEYS, SETTINGS
from gateway.auth.sessions import session_token
from gateway.http.bodies import json_response

__all__ = ["EXPORT_FILENAME", "OPENAPI", "export_ports", "setup"]

EXPORT_FILENAME = "mijn-gegevens.json"


def export_ports(app: web.Application) -> ExportPorts:
    """The export's ports, read from the app (the JSON route and the page share them)."""
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
        export_ports(request.app),
        session.person,
        session.household_id,
        identities(request, session),
        request_meta(request),
        bound_to=session_binding(session_token(request)),
    )
    response = json_response(body)
    response.headers["Content-Disposition"] = f'attachment; filename="{EXPORT_FILENAME}"'
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/me/export", export)


OPENAPI: dict[str, dict[str, Any]] = {
    "/api/v1/me/export": {
        "get": {
            "operationId": "myExport",
            "summary": "Download my data (dossier, access log, consents), signed by the gateway",
            "description": "AVG art. 15 and 20. `jws` is a compact JWS over the same "
            "document; verify it with /.well-known/jwks.json. The download is itself an "
            "audit entry (household.export).",
            "tags": ["household"],
            "security": [{"householdSession": []}],
            "responses": {
                "200": answer(schema.MyExport, "The signed export", schema.EXAMPLE_MY_EXPORT),
                **problems(401, 503),
            },
        }
    }
}
