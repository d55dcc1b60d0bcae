"""Liveness and readiness: /healthz says the process runs, /readyz that it can serve.

Ready means: the database answers, its schema is this version's, and it can be
written (`gateway.storage.writable`; a read-only database would fail every audited request).
A 503 names the failed `check` (`database`, `schema`, `database_writable`) and, for
the last, a `reason` code.

A ready answer also shows the `configuration` in force (its generation and policy
version) and, if the last reload failed, its `error` code and `file`: the process serves
on with the last good configuration, so it stays ready (`gateway/config_reload.py`).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.appkeys import ENGINE, LIVE_CONFIG
from gateway.errors import ServiceUnavailable
from gateway.http.bodies import json_response
from gateway.storage.schema import schema_state
from gateway.storage.writable import unwritable_reason

__all__ = ["OPENAPI", "setup"]


async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    try:
        state = await schema_state(engine)
        reason = await unwritable_reason(engine)
    except Exception:
        raise ServiceUnavailable("Database unreachable", check="database") from None
    if not state.up_to_date:
        raise ServiceUnavailable(
            "Database schema is not up to date; run `gateway migrate`", check="schema"
        )
    if reason is not None:
        raise ServiceUnavailable(
            "Database cannot be written", check="database_writable", reason=reason
        )
    body: dict[str, Any] = {"status": "ready", "schema": sorted(state.current)}
    live = request.app.get(LIVE_CONFIG)
    if live is not None:
        body["configuration"] = live.readiness()
    return json_response(body)


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
            "summary": "The database is reachable, migrated and writable "
            "(503 names the failed `check`); `configuration` shows the generation in force "
            "and a failed reload's `error`",
            "tags": ["operations"],
            "security": [],
            "responses": {
                "200": {"$ref": "#/components/responses/Status"},
                "503": {"$ref": "#/components/responses/Problem"},
            },
        }
    },
}
