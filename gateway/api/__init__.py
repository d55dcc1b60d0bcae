"""The JSON API, one folder per audience, each with one way of authenticating its callers.

`org/` organisation systems (signed tokens): exchanges, households, consents, cases,
the vocabulary (discovery).
`me/` households (session cookie): their own consents and dossier.
`officer/` privacy officers (officer role tokens): audit entries, verify, break-glass review.
`ops/` no caller identity: health, well-known keys, the OpenAPI document.

Listing a module in `ROUTE_MODULES` is what makes its routes exist and appear in
`/api/v1/openapi.json`; a test checks the two agree route by route. Each module has
`setup(app)` and `OPENAPI`. Routes call use-cases in access/, exchange/ and audit/ (the
log only through `AuditReader`); they build no SQL (tests/unit/foundation/test_layout.py).
Each audience's bodies are declared once in its `schema.py` (msgspec Structs, from which the
OpenAPI document derives; `describe` is how a route names them). Shared by the route
modules: `parsing` (request values against the vocabulary), `views`
(JSON of households, consents, receipts), `auditing` (the entries routes write), `ports`
(the access rules' ports read from the app). Domain errors are not caught here: the one
table in `gateway.http.problems` maps them.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from aiohttp import web

__all__ = ["ROUTE_MODULES", "modules", "openapi_paths", "setup"]

ROUTE_MODULES = (
    "gateway.api.ops.health",
    "gateway.api.ops.wellknown",
    "gateway.api.ops.openapi",
    "gateway.api.org.exchanges",
    "gateway.api.org.households",
    "gateway.api.org.consents",
    "gateway.api.org.cases",
    "gateway.api.org.vocabulary",
    "gateway.api.me.login",
    "gateway.api.me.consents",
    "gateway.api.me.dossier",
    "gateway.api.me.access_log",
    "gateway.api.me.export",
    "gateway.api.officer.audit",
    "gateway.api.officer.insight",
    "gateway.api.officer.monitoring",
)


def modules() -> list[ModuleType]:
    return [importlib.import_module(name) for name in ROUTE_MODULES]


def setup(app: web.Application) -> None:
    for module in modules():
        module.setup(app)


def openapi_paths() -> dict[str, dict[str, Any]]:
    paths: dict[str, dict[str, Any]] = {}
    for module in modules():
        for path, operations in module.OPENAPI.items():
            paths.setdefault(path, {}).update(operations)
    return paths
