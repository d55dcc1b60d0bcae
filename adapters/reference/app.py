"""A reference source system: a small real aiohttp service over synthetic data.

`POST /api/v1/records/query` with the gateway's JWT answers, in the system's
native field names, everything it holds about the person — deliberately
ignoring the requested categories, like a sloppy real-world source, so the
gateway's minimisation is exercised for real. An unknown person is a 200 with
`"gevonden": false`. Tokens are checked as `verify_gateway_token` says; a
refusal is a 401 problem+json. `GET /healthz` answers without a token.
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass

from aiohttp import web

from adapters.http import QUERY_PATH
from adapters.reference.jwks import JwksProvider, TokenRejectedError, verify_gateway_token
from adapters.reference.synthetic import ORG_TYPES, Population, elfproef

__all__ = [
    "JWKS_KEY",
    "POPULATION_KEY",
    "SEEN_KEY",
    "SeenRequest",
    "create_source_app",
]

MAX_BODY = 64 * 1024


@dataclass(frozen=True, slots=True)
class SeenRequest:
    """What the source remembers of a call (no BSN): for the demo and the tests."""

    request_id: str
    traceparent: str
    purpose: str
    categories: tuple[str, ...]
    subject: str  # the token's `sub`


@dataclass(frozen=True, slots=True)
class _SourceConfig:
    org_id: str
    org_type: str
    audience: str
    issuer: str


POPULATION_KEY = web.AppKey("population", Population)
JWKS_KEY = web.AppKey("jwks", JwksProvider)
SEEN_KEY = web.AppKey("seen_requests", deque[SeenRequest])
_CONFIG_KEY = web.AppKey("source_config", _SourceConfig)
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


def create_source_app(
    org_id: str,
    org_type: str,
    population: Population,
    jwks: JwksProvider,
    audience: str,
    gateway_issuer: str,
) -> web.Application:
    """One organisation's reference source; `audience` is what its tokens must name."""
    if org_type not in ORG_TYPES:
        raise ValueError(f"unknown organisation type {org_type!r}; one of {ORG_TYPES}")
    app = web.Application(client_max_size=MAX_BODY)
    app[POPULATION_KEY] = population
    app[JWKS_KEY] = jwks
    app[SEEN_KEY] = deque(maxlen=100)
    app[_CONFIG_KEY] = _SourceConfig(org_id, org_type, audience, gateway_issuer)
    app.router.add_post(QUERY_PATH, _query)
    app.router.add_get("/healthz", _healthz)
    app.on_cleanup.append(_close_jwks)
    return app


async def _close_jwks(app: web.Application) -> None:
    await app[JWKS_KEY].aclose()


async def _healthz(request: web.Request) -> web.Response:
    config = request.app[_CONFIG_KEY]
    return web.json_response({"status": "ok", "org": config.org_id, "type": config.org_type})


async def _query(request: web.Request) -> web.Response:
    config = request.app[_CONFIG_KEY]
    authorization = request.headers.get("Authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return _problem(401, "token_missing", "a Bearer token from the gateway is required")
    try:
        claims = await verify_gateway_token(
            token.strip(), request.app[JWKS_KEY], audience=config.audience, issuer=config.issuer
        )
    except TokenRejectedError as exc:
        return _problem(401, exc.code, exc.detail)
    try:
        body = json.loads(await request.read())
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _problem(400, "invalid_json", "the body is not JSON")
    except web.HTTPRequestEntityTooLarge:
        return _problem(413, "payload_too_large", "the body is too large")
    if not isinstance(body, dict):
        return _problem(400, "validation_failed", "the body must be an object")
    bsn, categories, purpose = body.get("bsn"), body.get("categories", []), body.get("purpose")
    if not isinstance(bsn, str) or not elfproef(bsn):
        return _problem(400, "invalid_bsn", "bsn must be nine digits passing the elfproef")
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        return _problem(400, "validation_failed", "categories must be a list of strings")
    if not isinstance(purpose, str) or not purpose:
        return _problem(400, "validation_failed", "purpose is required")
    traceparent = request.headers.get("traceparent", "")
    request.app[SEEN_KEY].append(
        SeenRequest(
            request_id=request.headers.get("X-Request-Id", ""),
            traceparent=traceparent if _TRACEPARENT.match(traceparent) else "",
            purpose=purpose,
            categories=tuple(categories),
            subject=str(claims.get("sub", "")),
        )
    )
    document = request.app[POPULATION_KEY].document(config.org_type, bsn)
    answer = {"bron": config.org_id, "gevonden": document is not None, **(document or {})}
    headers = {"traceparent": traceparent} if _TRACEPARENT.match(traceparent) else {}
    return web.json_response(answer, headers=headers)


def _problem(status: int, code: str, detail: str) -> web.Response:
    titles = {400: "Bad Request", 401: "Unauthorized", 413: "Payload Too Large"}
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else {}
    return web.json_response(
        {
            "type": "about:blank",
            "title": titles.get(status, "Error"),
            "status": status,
            "detail": detail,
            "code": code,
        },
        status=status,
        content_type="application/problem+json",
        headers=headers,
    )
