"""Reading JSON bodies and writing JSON answers the same way everywhere."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from gateway.appkeys import SETTINGS
from gateway.errors import InvalidJson, PayloadTooLarge, UnsupportedMediaType, ValidationFailed

__all__ = ["json_response", "read_json_object"]


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object: 415 for another content type, 400 for bad JSON, 413 if too big."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType("Content-Type must be application/json")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PayloadTooLarge(
            f"Request body exceeds {request.app[SETTINGS].body_limit} bytes"
        ) from None
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidJson("Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ValidationFailed("Request body must be a JSON object")
    return body


def json_response(data: Any, *, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
