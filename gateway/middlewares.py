"""The middlewares every request passes, outermost first.

request context (request id, W3C trace context, log binding, canonical log line)
→ security headers (on every answer, problems included)
→ problem rendering (every error becomes RFC 9457 problem+json).
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
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from gateway.appkeys import (
    ERROR_CODE,
    LOG_ORGANISATION,
    LOG_PURPOSE,
    REQUEST_ID,
    SETTINGS,
    TRACE_ID,
    TRACEPARENT,
)
from gateway.errors import (
    GatewayError,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
)

__all__ = ["middlewares", "problem_response"]

log = structlog.get_logger("gateway.http")

PROBLEM_TYPE_BASE = "https://jeugd-gateway.example/problems/"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def problem_response(error: GatewayError, request_id: str | None) -> web.Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + error.code,
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


def _trace_context(header: str | None) -> tuple[str, str]:
    """(trace id, traceparent to pass on): the caller's trace id if valid, else a new one."""
    match = _TRACEPARENT.match(header or "")
    trace_id = match.group(1) if match and match.group(1) != "0" * 32 else secrets.token_hex(16)
    flags = match.group(3) if match else "01"
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    incoming = request.headers.get("X-Request-Id", "")
    request_id = incoming if _REQUEST_ID.match(incoming) else "req_" + secrets.token_hex(12)
    trace_id, traceparent = _trace_context(request.headers.get("traceparent"))
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


def _as_gateway_error(exc: BaseException) -> GatewayError | None:
    """Map foreign exceptions at the boundary; None means 'unexpected'."""
    if isinstance(exc, GatewayError):
        return exc
    if isinstance(exc, web.HTTPNotFound):
        return NotFound("No such resource")
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return MethodNotAllowed(f"Allowed: {', '.join(sorted(exc.allowed_methods))}")
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return PayloadTooLarge("Request body is too large")
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout | ConnectionError):
        return ServiceUnavailable("Database unavailable; no data released")
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return ServiceUnavailable("Database unavailable; no data released")
    return None


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
        error = _as_gateway_error(exc)
        if error is None:
            log.error("unhandled_error", error_type=type(exc).__name__)
            error = InternalError("An unexpected error occurred; no data released")
        elif error.status >= 500:
            log.warning("service_error", code=error.code, error_type=type(exc).__name__)
        request[ERROR_CODE] = error.code
        return problem_response(error, request.get(REQUEST_ID))


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
    if request.app[SETTINGS].https:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


middlewares = [request_context, security_headers, problems]
