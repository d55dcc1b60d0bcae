"""The gateway's public signing keys, for verifying receipts, checkpoints and its tokens."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.api.describe import answer
from gateway.api.ops import schema
from gateway.appkeys import KEYS
from gateway.http.bodies import json_response

__all__ = ["OPENAPI", "setup"]


async def jwks(request: web.Request) -> web.Response:
    response = json_response(request.app[KEYS].jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/.well-known/jwks.json", jwks)


OPENAPI: dict[str, dict[str, Any]] = {
    "/.well-known/jwks.json": {
        "get": {
            "operationId": "jwks",
            "summary": "The gateway's public Ed25519 keys (current first, then older ones)",
            "tags": ["operations"],
            "security": [],
            "responses": {
                "200": answer(schema.Jwks, "JWK Set (RFC 7517)", schema.EXAMPLE_JWKS),
            },
        }
    }
}
