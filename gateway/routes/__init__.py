"""HTTP routes. Each module has `setup(app)` and `OPENAPI` (its part of the OpenAPI paths).

Listing a module here is what makes its routes exist and appear in
`/api/v1/openapi.json`; a test checks the two agree route by route.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from aiohttp import web

__all__ = ["ROUTE_MODULES", "modules", "openapi_paths", "setup"]

ROUTE_MODULES = (
    "gateway.routes.health",
    "gateway.routes.wellknown",
    "gateway.routes.openapi",
    "gateway.routes.exchanges",
    "gateway.routes.households",
    "gateway.routes.consents",
    "gateway.routes.cases",
    "gateway.routes.me",
    "gateway.routes.audit",
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
