"""The middlewares every request passes, outermost first.

request context (request id, W3C trace context, log binding, canonical log line)
→ security headers (on every answer, problems included; a `Server` header without versions)
→ problem rendering (every error becomes RFC 9457 problem+json; foreign exceptions are
  mapped by the one table in `gateway.http.problems`)
→ input guard (no control characters, lone surrogates or over-long values in the path,
  the query or the headers the gateway reads: 400 before any handler sees them).
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.appkeys import (
    ERROR_CODE,
    LOG_ORGANISATION,
    LOG_PURPOSE,
    REQUEST_ID,
    SETTINGS,
    TRACE_ID,
    TRACEPARENT,
)
from gateway.errors import BadRequest, GatewayError, InternalError
from gateway.http.inputs import clean_text
from gateway.http.problems import DOMAIN_ERRORS, as_gateway_error

__all__ = ["API_VERSION", "SERVER_NAME", "middlewares", "problem_response", "problem_type"]

log = structlog.get_logger("gateway.http")

#: The API's full version (NL API Design Rules: the `API-Version` header on every API
#: answer, and `info.version` of the OpenAPI document).
API_VERSION = "1.0.0"
#: Where a problem's `type` points: a page per code that the gateway itself serves.
PROBLEM_PATH = "/problems/"
SERVER_NAME = "jeugd-gateway"  # the `Server` header: no product versions to fingerprint
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def problem_type(code: str, base_url: str = "") -> str:
    """The `type` URI of a problem: `<base url>/problems/<code>`, a page the gateway serves
    (relative where the base is not known, as RFC 9457 allows)."""
    return f"{base_url.rstrip('/')}{PROBLEM_PATH}{code}"


def problem_response(
    error: GatewayError, request_id: str | None, base_url: str = ""
) -> web.Response:
    body: dict[str, Any] = {
        "type": problem_type(error.code, base_url),
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "code": error.code,
        "request_id": request_id,
    }
    body.update(error.extra)
    response = web.json_response(body, status=error.status, content_type="application/problem+json")
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="jeugd-gateway"'
    return response


def _trace_context(header: str | None, fresh: str) -> tuple[str, str]:
    """(trace id, traceparent to pass on): the caller's trace id if valid, else a new one
    (`fresh`: 48 random hex digits, a trace id and a span id)."""
    match = _TRACEPARENT.match(header or "")
    trace_id = match.group(1) if match and match.group(1) != "0" * 32 else fresh[:32]
    flags = match.group(3) if match else "01"
    return trace_id, f"00-{trace_id}-{fresh[32:48]}-{flags}"


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    fresh = secrets.token_hex(36)  # one read of the system's randomness for all three ids
    incoming = request.headers.get("X-Request-Id", "")
    request_id = incoming if _REQUEST_ID.match(incoming) else "req_" + fresh[48:]
    trace_id, traceparent = _trace_context(request.headers.get("traceparent"), fresh)
    request[REQUEST_ID] = request_id
    request[TRACE_ID] = trace_id
    request[TRACEPARENT] = traceparent
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id, trace_id=trace_id)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers["X-Request-Id"] = request_id
        return response
    finally:
        route = request.match_info.route.resource
        log.info(
            "request",
            method=request.method,
            route=route.canonical if route is not None else "unmatched",
            status=status,
            code=request.get(ERROR_CODE),
            organisation=request.get(LOG_ORGANISATION),
            purpose=request.get(LOG_PURPOSE),
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )
        structlog.contextvars.clear_contextvars()


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except asyncio.CancelledError:
        raise
    except web.HTTPRedirection:
        raise
    except web.HTTPSuccessful:
        raise
    except Exception as exc:
        error = as_gateway_error(exc, audit=request.path.startswith(_AUDIT_PREFIX))
        if error is None:
            log.error("unhandled_error", error_type=type(exc).__name__)
            error = InternalError("An unexpected error occurred; no data released")
        elif error.status >= 500 or not isinstance(exc, _ANSWERS):
            log.warning("service_error", code=error.code, error_type=type(exc).__name__)
        request[ERROR_CODE] = error.code
        settings = request.app.get(SETTINGS)
        base_url = settings.base_url if settings is not None else ""
        response = problem_response(error, request.get(REQUEST_ID), base_url)
        if isinstance(exc, web.HTTPMethodNotAllowed):  # RFC 9110: a 405 names what is allowed
            response.headers["Allow"] = ", ".join(sorted(exc.allowed_methods))
        return response


_AUDIT_PREFIX = "/api/v1/audit"
API_PREFIX = "/api/"
#: Exceptions whose 4xx problem is an answer, not an incident (no `service_error` line).
_ANSWERS = (GatewayError, web.HTTPException, *DOMAIN_ERRORS)
#: Request headers the gateway reads; each must be clean text (the parser already
#: refuses control characters in headers, but undecodable bytes arrive as surrogates).
_READ_HEADERS = ("Authorization", "Cookie", "Content-Type", "X-Request-Id", "traceparent")
MAX_PATH = 2048
MAX_QUERY_VALUE = 1024
MAX_QUERY_PARAMS = 50


@web.middleware
async def input_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse text no handler should see: NUL and other control characters, lone
    surrogates, replacement characters (undecodable bytes), over-long values. PostgreSQL
    refuses NUL in text, so without this a `%00` became a 500 deep in a query."""
    if not clean_text(request.path, MAX_PATH):
        raise BadRequest("The request path is not valid text")
    if len(request.query) > MAX_QUERY_PARAMS:
        raise BadRequest(f"At most {MAX_QUERY_PARAMS} query parameters")
    for key, value in request.query.items():
        if not clean_text(key, 64):
            raise BadRequest("A query parameter name is not valid text")
        if not clean_text(value, MAX_QUERY_VALUE):
            raise BadRequest(
                f"Query parameter `{key}` must be text without control characters, "
                f"of at most {MAX_QUERY_VALUE} characters"
            )
    for name in _READ_HEADERS:
        header = request.headers.get(name)
        if header is not None and not clean_text(header, 16384, allow_tab=True):
            raise BadRequest(f"Header `{name}` is not valid text")
    return await handler(request)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers.setdefault("Cache-Control", "no-store")
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    headers["Server"] = SERVER_NAME
    if request.path.startswith(API_PREFIX):
        headers["API-Version"] = API_VERSION
    if request.app[SETTINGS].https:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


middlewares = [request_context, security_headers, problems, input_guard]
