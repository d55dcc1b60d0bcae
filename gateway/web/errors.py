"""Error pages for browsers: a person gets a page in their language, not problem+json.

A request that asks for HTML (`Accept: text/html`) on a path of the pages (anything
outside `/api/`, the well-known keys, health and metrics) gets, for an error, an HTML page
with the status and a plain explanation: no stack trace, no detail text of the error
(401: back to the login page). Everything else keeps the RFC 9457 problem+json of
`gateway.http.middlewares.problems`, which stays the outer net.
"""

from __future__ import annotations

import asyncio

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.appkeys import ERROR_CODE, REQUEST_ID
from gateway.http.problems import as_gateway_error
from gateway.web.rendering import render

__all__ = ["html_errors", "wants_html"]

log = structlog.get_logger("gateway.web")

#: Paths that are never pages: their errors are problem+json whatever the client accepts.
_NOT_PAGES = ("/api/", "/.well-known/", "/healthz", "/readyz", "/metrics", "/problems/")
#: The statuses with a page of their own; any other 4xx reads as 400, any 5xx as 500.
_PAGES = frozenset({400, 403, 404, 405, 409, 413, 422, 500, 503})


def wants_html(request: web.Request) -> bool:
    if request.path.startswith(_NOT_PAGES):
        return False
    return "text/html" in request.headers.get("Accept", "")


@web.middleware
async def html_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not wants_html(request):
        return await handler(request)
    try:
        return await handler(request)
    except (asyncio.CancelledError, web.HTTPRedirection, web.HTTPSuccessful):
        raise
    except Exception as exc:
        error = as_gateway_error(exc)
        if error is None:
            log.error("unhandled_error", error_type=type(exc).__name__)
            status, code = 500, "internal_error"
        else:
            status, code = error.status, error.code
        request[ERROR_CODE] = code
        if status == 401:
            raise web.HTTPSeeOther("/login") from None
        response = _error_page(request, status, code)
        if isinstance(exc, web.HTTPMethodNotAllowed):  # RFC 9110: a 405 names what is allowed
            response.headers["Allow"] = ", ".join(sorted(exc.allowed_methods))
        return response


def _error_page(request: web.Request, status: int, code: str) -> web.Response:
    shown = status if status in _PAGES else (500 if status >= 500 else 400)
    return render(
        request,
        "error.html",
        {"status": shown, "code": code, "request_id": request.get(REQUEST_ID)},
        status=status,
    )
