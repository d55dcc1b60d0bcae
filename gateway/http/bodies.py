"""Reading JSON bodies and writing JSON answers the same way everywhere.

Every route that takes a body reads it through `read_json_object`, and every page's
form through `read_form` (a test keeps it so), so the limits are enforced once: size
(413), content type (415), syntax (`invalid_json`; also `NaN`/`Infinity`, which are not
JSON), nesting depth, and text no store can hold (NUL, lone surrogates)
(`validation_failed`), and the time the body may take to arrive (`bad_request`).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from gateway.appkeys import SETTINGS
from gateway.errors import (
    BadRequest,
    InvalidJson,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from gateway.http.inputs import has_forbidden_text

__all__ = ["MAX_FORM_FIELDS", "MAX_JSON_DEPTH", "json_response", "read_form", "read_json_object"]

#: The deepest nesting any request schema needs is 4; 32 leaves room and stays far
#: from the recursion limit of every consumer (policy, audit canonical form).
MAX_JSON_DEPTH = 32


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object: 415 for another content type, 400 for bad JSON, 413 if too big."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType("Content-Type must be application/json")
    raw = await _read(request)
    try:
        body = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:  # the C scanner stops itself before the stack does
        raise ValidationFailed(f"Request body nests deeper than {MAX_JSON_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidJson("Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ValidationFailed("Request body must be a JSON object")
    _check_tree(body)
    return body


#: The portal's forms have a handful of fields; a checkbox list stays far below this.
MAX_FORM_FIELDS = 100


async def read_form(request: web.Request) -> MultiDictProxy[str]:
    """A page's form (`application/x-www-form-urlencoded`, UTF-8), with the limits of
    JSON bodies: 415 for another content type, 413 if too big, 400 if slow, malformed
    or holding text no store can hold."""
    if request.content_type != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType("Content-Type must be application/x-www-form-urlencoded")
    raw = await _read(request)
    try:
        fields = parse_qsl(
            raw.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(raw),
            max_num_fields=MAX_FORM_FIELDS,
        )
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("The form is not valid") from None
    for key, value in fields:
        if has_forbidden_text(key) or has_forbidden_text(value):
            raise ValidationFailed("A form field holds a NUL character or a lone surrogate")
    return MultiDictProxy(MultiDict(fields))


async def _read(request: web.Request) -> bytes:
    settings = request.app[SETTINGS]
    try:
        async with asyncio.timeout(settings.body_timeout_seconds):
            return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PayloadTooLarge(f"Request body exceeds {settings.body_limit} bytes") from None
    except TimeoutError:  # a client sending its body slowly holds a connection (slow POST)
        raise BadRequest(
            f"Request body did not arrive within {settings.body_timeout_seconds:g} seconds"
        ) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_tree(body: dict[str, Any]) -> None:
    """Depth and text of every value, iteratively (a recursive walk is what we refuse)."""
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ValidationFailed(f"Request body nests deeper than {MAX_JSON_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and has_forbidden_text(key):
                    raise ValidationFailed("A member name holds a NUL or a lone surrogate")
                stack.append((item, depth + 1))
        elif isinstance(value, str) and has_forbidden_text(value):
            raise ValidationFailed("A string holds a NUL character or a lone surrogate")


def json_response(data: Any, *, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
