"""Liveness and readiness: /healthz says the process runs, /readyz that it can serve."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.appkeys import ENGINE
from gateway.bodies import json_response
from gateway.errors import ServiceUnavailable
from gateway.schema import schema_state

__all__ = ["OPENAPI", "setup"]


async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    try:
        state = await schema_state(request.app[ENGINE])
    except Exception:
        raise ServiceUnavailable("Database unreachable") from None
    if not state.up_to_date:
        raise ServiceUnavailable("Database schema is not up to date; run `gateway migrate`")
    return json_response({"status": "ready", "schema": sorted(state.current)})


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)


OPENAPI: dict[str, dict[str, Any]] = {
    "/healthz": {
        "get": {
            "operationId": "healthz",
            "summary": "The process is up",
            "tags": ["operations"],
            "security": [],
            "responses": {"200": {"$ref": "#/components/responses/Status"}},
        }
    },
    "/readyz": {
        "get": {
            "operationId": "readyz",
            "summary": "The database is reachable and migrated",
            "tags": ["operations"],
            "security": [],
            "responses": {
                "200": {"$ref": "#/components/responses/Status"},
                "503": {"$ref": "#/components/responses/Problem"},
            },
        }
    },
}
